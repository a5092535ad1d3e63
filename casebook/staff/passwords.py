"""Password strength: refuse the 10,000 most common passwords and anything zxcvbn scores below 3 of 4.

The common list is ``common_passwords.txt`` beside this module (its source, licence and the command
that regenerates it are in ``common_passwords.md``). zxcvbn (Dropbox's estimator, the maintained
Python port) counts the guesses an attacker's cracker would need, knowing dictionaries, names,
keyboard walks, repeats, sequences, dates and the user's own name; 3 of 4 means more than 10⁸.
Characters it knows no pattern for — Chinese ones among them — count as 10 guesses each, so a
passphrase of a few words with a digit or symbol passes, and one of Chinese characters only needs 9.

Pure: no Flask, no database. The refusal says why, and what would be accepted, in Chinese.
"""

from __future__ import annotations

import functools
import threading
import unicodedata
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from zxcvbn import zxcvbn

COMMON_FILE = Path(__file__).with_name("common_passwords.txt")
MIN_SCORE = 3
"""zxcvbn's scale: 0 (too guessable) … 4 (very unguessable); 3 is "safely unguessable" (> 10⁸ guesses)."""
SCORED_LENGTH = 72
"""zxcvbn refuses longer input (its matching grows with the length): the first 72 characters are scored."""
EXAMPLE = "社区 治理2022!"
ACCEPTED = (
    f"请换一个更长、不容易猜到的密码：用几个词语加上数字或符号，组成一句自己记得住的话，例如“{EXAMPLE}”"
    "这样的形式（请不要照抄这个例子）；只用汉字时至少 9 个字，且不要重复。"
)
REASONS = {
    "dictionary": "含有常见的密码、英文单词或人名",
    "user_inputs": "含有用户名",
    "spatial": "含有键盘上相邻的一串按键（如 qwerty、1qaz）",
    "repeat": "含有重复的字符或片段（如 aaa、abcabc）",
    "sequence": "含有连续的字母或数字（如 abcd、1234）",
    "regex": "含有年份",
    "date": "含有日期",
    "bruteforce": "太短",
}
_scoring = threading.Lock()  # zxcvbn keeps the user's inputs in a module-level dictionary while it scores


@functools.cache
def common() -> frozenset[str]:
    """The common passwords, lower case."""
    return frozenset(line.strip() for line in COMMON_FILE.read_text(encoding="utf-8").splitlines() if line.strip())


def problem(password: str, user_inputs: Sequence[str] = ()) -> str | None:
    """Why ``password`` is refused (a Chinese message ending with what would be accepted), or None."""
    folded = unicodedata.normalize("NFKC", password).strip().casefold()
    if folded in common():
        return f"这个密码是最常用的一万个密码之一，很容易被猜到。{ACCEPTED}"
    with _scoring:
        result: dict[str, Any] = zxcvbn(password[:SCORED_LENGTH], user_inputs=[*user_inputs])
    score = int(result["score"])
    if score >= MIN_SCORE:
        return None
    return f"密码太容易被猜到（强度 {score}/4，至少需要 {MIN_SCORE}）：{_why(result['sequence'])}。{ACCEPTED}"


def _why(matches: list[dict[str, Any]]) -> str:
    """The patterns zxcvbn found, as Chinese reasons (in the password's order, each once)."""
    found: list[str] = []
    for match in matches:
        kind = "user_inputs" if match.get("dictionary_name") == "user_inputs" else str(match.get("pattern"))
        reason = REASONS.get(kind)
        if reason and reason not in found and kind != "bruteforce":
            found.append(reason)
    return "；".join(found) or REASONS["bruteforce"]
