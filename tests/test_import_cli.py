"""``casebook import FILE``: through click's runner (the app's own CLI) and the installed command."""

from __future__ import annotations

import io
import json
import os
import re
import socket
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path

import docx
import pytest
from click.testing import CliRunner
from PIL import Image

from casebook import content
from casebook.cli import main
from casebook.fetching import FetchRefused, fetch
from casebook.render import render_markdown

from .convertkit import (
    CFB_MAGIC,
    encrypted_docx,
    interview_docx,
    picture_server,
    png,
    saved,
    wechat_page,
    zip_bomb,
)


def read_image(path: Path | str) -> Image.Image:
    """The picture at ``path``, read whole (no file left open for the garbage collector to close)."""
    return Image.open(io.BytesIO(Path(path).read_bytes()))


def run(runner: CliRunner, *args: str) -> tuple[int, str, str]:
    result = runner.invoke(main, ["import", *args])
    return result.exit_code, result.stdout, result.stderr


def loaded(content_dir: Path, kind: str, slug: str) -> content.Entry:
    library = content.load(content_dir)
    errors = [p.display() for p in library.problems if not p.is_warning]
    assert errors == []
    return library.entries[f"{kind}/{slug}"]


def test_docx_becomes_a_valid_draft_with_its_picture(runner: CliRunner, content_dir: Path, tmp_path: Path) -> None:
    source = tmp_path / "访谈.docx"
    source.write_bytes(interview_docx(picture=png(1200, 900)))
    code, out, err = run(runner, str(source), "--kind", "interview", "--topic", "louyuan")
    assert code == 0, err
    path = Path(out.strip())
    assert path == content_dir / "interviews" / "ba-lou-yuan-guan-qi-lai.md"
    entry = loaded(content_dir, "interview", "ba-lou-yuan-guan-qi-lai")
    assert (entry.title, entry.status, entry.date.isoformat()) == ("把楼院管起来", "draft", "2022-03-01")
    assert entry.people == ("张三（农业银行社区党委书记／主任）", "李四")
    assert (entry.street, entry.community) == ("林山寨街道", "农业银行社区")
    [picture] = [p for p in (content_dir / "media" / "uploads").rglob("*-1200w.png")]
    rel = picture.relative_to(content_dir).as_posix()
    assert f"![议事会现场]({rel})" in entry.body
    meta = json.loads(picture.with_name(picture.name.split("-")[0] + ".json").read_text(encoding="utf-8"))
    assert (meta["alt"], meta["original_name"]) == ("议事会现场", "图片1.png")
    assert picture.with_name(picture.name.replace("-1200w", "-800w")).is_file()  # the phone copy, like an upload
    assert "已转换：" in err and "1 张图片已保存到 media/uploads/" in err
    assert "已转换" not in out


def test_saved_wechat_page_with_files_folder_and_remote_pictures(
    runner: CliRunner, content_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    served = tmp_path / "served"
    served.mkdir()
    Image.new("RGB", (300, 200), (10, 150, 60)).save(served / "remote.jpg", "JPEG")
    page = tmp_path / "文章.html"
    files = tmp_path / "文章_files"
    files.mkdir()
    (files / "640.png").write_bytes(png(320, 240))
    monkeypatch.setenv("CASEBOOK_IMPORT_IMAGE_HOSTS", "127.0.0.1")
    with picture_server(served) as base:
        page.write_text(wechat_page(f"{base}/remote.jpg", "https://mmbiz.qpic.cn/not-allowed.png"), encoding="utf-8")
        code, out, err = run(runner, str(page), "--kind", "case", "--topic", "louyuan", "--scope", "national")
    assert code == 0, err
    slug = Path(out.strip()).stem
    entry = loaded(content_dir, "case", slug)
    assert (entry.title, entry.scope, entry.video) == (
        "楼院议事会这样开",
        "national",
        "https://v.qq.com/txp/iframe/player.html?vid=m0000abc",
    )
    stored = sorted(p.name for p in (content_dir / "media" / "uploads").rglob("*w.*"))
    assert sorted(n.split("-")[1] for n in stored) == ["300w.jpg", "320w.png"]
    assert entry.body.count("](media/uploads/") == 2
    assert "![议事会现场](media/uploads/" in entry.body and "![公示栏](media/uploads/" in entry.body
    # the picture left out is not in the text, but a comment (never published) marks where it was
    assert "![别处的图]" not in entry.body and "<!-- 此处原有第 3 张图片“别处的图”" in entry.body
    assert "别处的图" not in render_markdown(entry.body)
    assert "第 3 张图片“别处的图”（not-allowed.png，来自 mmbiz.qpic.cn）未导入：来源 mmbiz.qpic.cn 不在允许的" in err
    assert "已转换：" in err and "2 张图片\n" in err  # counts the pictures that got in
    assert "二维码" in err


def test_text_and_markdown_files(runner: CliRunner, content_dir: Path, tmp_path: Path) -> None:
    text = tmp_path / "沙龙记录.txt"
    text.write_bytes("楼院议事沙龙\n参与者：王五（居民）、赵六\n主持人：开始吧。\n王五：我先说。\n".encode("gb18030"))
    code, _, err = run(runner, str(text), "--kind", "salon", "--topic", "louyuan", "--slug", "salon-one")
    assert code == 0, err
    entry = loaded(content_dir, "salon", "salon-one")
    assert (entry.title, entry.participants) == ("楼院议事沙龙", ("王五（居民）", "赵六"))
    assert entry.body == "**主持人：**开始吧。\n\n**王五：**我先说。\n"
    assert "GB18030" in err and "文件中没有找到日期" in err

    md = tmp_path / "case.md"
    md.write_text("---\ntitle: 现成的案例\ndate: 2021-09-09\nstatus: published\n---\n一、背景\n正文。\n", "utf-8")
    code, _, err = run(runner, str(md), "--kind", "case", "--topic", "louyuan")
    assert code == 0, err
    entry = loaded(content_dir, "case", "xian-cheng-de-an-li")
    assert (entry.status, entry.date.isoformat(), entry.body) == ("draft", "2021-09-09", "## 一、背景\n\n正文。\n")


def test_facts_that_do_not_fit_the_kind_go_back_into_the_body(
    runner: CliRunner, content_dir: Path, tmp_path: Path
) -> None:
    source = tmp_path / "a.txt"
    source.write_text("案例标题\n受访者：张三\n正文。\n", encoding="utf-8")
    code, _, err = run(runner, str(source), "--kind", "case", "--topic", "louyuan", "--title", "另给的标题")
    assert code == 0, err
    entry = loaded(content_dir, "case", "ling-gei-de-biao-ti")
    assert entry.title == "另给的标题"
    assert entry.body == "受访者：张三\n\n正文。\n"
    assert "“受访者”不是微案例的字段，已放回正文开头" in err


@pytest.mark.parametrize(
    ("name", "data", "words"),
    [
        ("secret.docx", encrypted_docx, "设置了打开密码"),
        ("old.docx", lambda: CFB_MAGIC + b"\0junk" * 100, "旧版 Word 文档（.doc）"),
        ("notzip.docx", lambda: b"this is plain text, not a zip", "不是 .docx 格式"),
        ("bomb.docx", zip_bomb, "压缩炸弹"),
        ("slides.pdf", lambda: b"%PDF-1.4", "不支持的文件类型“.pdf”"),
        ("binary.txt", lambda: b"\x00\x01\x02text", "不是文本文件"),
    ],
)
def test_unreadable_files_exit_1_with_a_chinese_message(
    runner: CliRunner, content_dir: Path, tmp_path: Path, name: str, data: Callable[[], bytes], words: str
) -> None:
    source = tmp_path / name
    source.write_bytes(data())
    code, out, err = run(runner, str(source), "--kind", "case", "--topic", "louyuan")
    assert code == 1
    assert out == ""
    assert err.startswith("无法导入：") and words in err
    assert list((content_dir / "cases").iterdir()) == []


def test_a_file_over_50_mb_is_refused_without_reading_it(runner: CliRunner, content_dir: Path, tmp_path: Path) -> None:
    source = tmp_path / "huge.docx"
    with open(source, "wb") as handle:  # sparse: no 50 MB written to disk
        handle.truncate(50 * 1024 * 1024 + 1)
    code, _, err = run(runner, str(source), "--kind", "case", "--topic", "louyuan")
    assert code == 1 and "文件太大（50.0 MB），导入的文件最大 50 MB" in err


def test_an_existing_entry_is_never_overwritten(runner: CliRunner, content_dir: Path, tmp_path: Path) -> None:
    source = tmp_path / "a.docx"
    source.write_bytes(interview_docx())
    assert run(runner, str(source), "--kind", "interview", "--topic", "louyuan", "--slug", "one")[0] == 0
    target = content_dir / "interviews" / "one.md"
    before = target.read_bytes()
    code, out, err = run(runner, str(source), "--kind", "interview", "--topic", "louyuan", "--slug", "one")
    assert code == 1 and out == "" and "已存在" in err and "未覆盖" in err
    assert target.read_bytes() == before


@pytest.mark.parametrize(
    "args",
    [
        ["--kind", "video", "--topic", "louyuan"],
        ["--kind", "case"],
        ["--kind", "case", "--topic", "nope"],
        ["--kind", "case", "--topic", "louyuan", "--slug", "Bad Slug"],
        ["--kind", "interview", "--topic", "louyuan", "--scope", "national"],
    ],
)
def test_usage_errors_exit_2(runner: CliRunner, tmp_path: Path, args: list[str]) -> None:
    source = tmp_path / "a.txt"
    source.write_text("标题\n正文\n", encoding="utf-8")
    result = runner.invoke(main, ["import", str(source), *args])
    assert result.exit_code == 2
    if {"nope", "Bad Slug", "--scope"} & set(args):  # our own checks answer in Chinese
        assert re.search(r"没有主题|不能作文件名|只用于", result.output), result.output
    missing = ["import", str(tmp_path / "missing.docx"), "--kind", "case", "--topic", "louyuan"]
    assert runner.invoke(main, missing).exit_code == 2


def test_flask_app_command(content_dir: Path, tmp_path: Path) -> None:
    document = docx.Document()
    document.add_paragraph("命令行导入", style="Title")
    document.add_paragraph("正文。")
    source = tmp_path / "cmd.docx"
    source.write_bytes(saved(document))
    env = {**os.environ, "CASEBOOK_CONTENT_DIR": str(content_dir), "CASEBOOK_DATA_DIR": str(tmp_path / "data")}
    command = [sys.executable, "-m", "flask", "--app", "casebook", "import", str(source), "--kind", "case"]
    command += ["--topic", "louyuan"]
    done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    assert Path(done.stdout.strip()).read_text(encoding="utf-8").startswith("---\ntitle: 命令行导入\n")


# --- fetching remote pictures -------------------------------------------------------------------


def test_fetch_refuses_hosts_that_are_not_listed_and_private_addresses(tmp_path: Path) -> None:
    (tmp_path / "p.png").write_bytes(png())
    with picture_server(tmp_path) as base:
        assert fetch(f"{base}/p.png", ["127.0.0.1"]) == png()
        port = base.rsplit(":", 1)[1]
        with pytest.raises(FetchRefused, match="不在允许"):
            fetch(f"{base}/p.png", ["mmbiz.qpic.cn"])
        with pytest.raises(FetchRefused, match="内网或本机"):  # a listed *name* that points inward
            fetch(f"http://localhost:{port}/p.png", ["localhost"])
        with pytest.raises(FetchRefused, match="太大"):
            fetch(f"{base}/p.png", ["127.0.0.1"], max_bytes=20)
        with pytest.raises(FetchRefused, match="404"):
            fetch(f"{base}/missing.png", ["127.0.0.1"])
    with pytest.raises(FetchRefused, match="http"):
        fetch("file:///etc/passwd", ["127.0.0.1"])


def test_a_gif_in_a_word_file_is_stored_as_png(runner: CliRunner, content_dir: Path, tmp_path: Path) -> None:
    import io

    gif = io.BytesIO()
    Image.new("P", (120, 80), 3).save(gif, "GIF")
    document = docx.Document()
    document.add_paragraph("有动图的材料", style="Title")
    document.add_picture(io.BytesIO(gif.getvalue()))
    source = tmp_path / "gif.docx"
    source.write_bytes(saved(document))
    code, out, err = run(runner, str(source), "--kind", "case", "--topic", "louyuan", "--slug", "gif")
    assert code == 0, err
    [stored] = (content_dir / "media" / "uploads").rglob("*-120w.png")
    assert read_image(stored).format == "PNG"
    assert f"]({stored.relative_to(content_dir).as_posix()})" in Path(out.strip()).read_text(encoding="utf-8")


def test_no_picture_is_fetched_when_the_host_list_is_empty(
    runner: CliRunner, content_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    served = tmp_path / "served"
    served.mkdir()
    (served / "p.png").write_bytes(png())
    monkeypatch.setenv("CASEBOOK_IMPORT_IMAGE_HOSTS", "")
    with picture_server(served) as base:
        page = tmp_path / "page.html"
        page.write_text(f'<h1>页面</h1><p>正文。</p><p><img src="{base}/p.png" alt="图"></p>', encoding="utf-8")
        code, out, err = run(runner, str(page), "--kind", "case", "--topic", "louyuan", "--slug", "no-fetch")
    assert code == 0, err
    assert "](media/" not in Path(out.strip()).read_text(encoding="utf-8")
    assert "第 1 张图片“图”（p.png，来自 127.0.0.1）未导入：来源 127.0.0.1 不在允许的图片网站之列" in err
    assert not (content_dir / "media" / "uploads").exists()


def test_pictures_not_fetched_in_time_are_reported(content_dir: Path) -> None:
    import threading

    from casebook.convert import from_html
    from casebook.import_pictures import PictureRules, store_pictures

    release = threading.Event()

    def stuck(url: str, hosts: object) -> bytes:
        release.wait(30)
        return png()

    conversion = from_html('<p>正文</p><p><img src="https://mmbiz.qpic.cn/a.png" alt="慢图"></p>')
    try:
        body, report, stored = store_pictures(
            conversion, content_dir / "media", PictureRules(frozenset({"mmbiz.qpic.cn"}), budget=0.05), fetcher=stuck
        )
    finally:
        release.set()
    assert body.startswith("正文\n\n<!-- 此处原有第 1 张图片“慢图”") and stored == []
    why = "下载等待超时（这次导入的图片太多或网络太慢），可稍后用“插入图片”上传"
    assert report[0] == f"第 1 张图片“慢图”（a.png，来自 mmbiz.qpic.cn）未导入：{why}"
    assert conversion.report[0].endswith("0 张图片")


def test_settings_read_the_host_list(tmp_path: Path) -> None:
    from casebook import config

    assert config.import_image_hosts({}) == {"mmbiz.qpic.cn", "mmbiz.qlogo.cn"}
    assert config.import_image_hosts({"CASEBOOK_IMPORT_IMAGE_HOSTS": ""}) == frozenset()
    built = config.build(
        {"DATA_DIR": "/tmp/casebook-hosts-test"}, {"CASEBOOK_IMPORT_IMAGE_HOSTS": " A.example, b.example "}
    )
    assert built["IMPORT_IMAGE_HOSTS"] == {"a.example", "b.example"}


def test_yaml_aliases_are_refused_so_a_tiny_file_cannot_expand_to_gigabytes(
    runner: CliRunner, tmp_path: Path, content_dir: Path
) -> None:
    levels = "".join(f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]\n" for i in range(1, 9))
    bomb = tmp_path / "bomb.md"
    bomb.write_text(f"---\ntitle: 炸弹\na0: &a0 [x, x, x, x, x, x, x, x, x, x]\n{levels}tags: [*a8]\n---\n正文。\n")
    code, out, err = run(runner, str(bomb), "--kind", "case", "--topic", "louyuan", "--title", "正常标题")
    assert code == 0, err
    assert "前置信息无法读取，已忽略：YAML 格式错误：不支持锚点和别名" in err
    assert loaded(content_dir, "case", Path(out.strip()).stem).tags == ()
    # and casebook check says the same about a content file, with its line
    (content_dir / "cases" / "alias.md").write_text(
        "---\ntitle: 别名\ntopic: louyuan\ndate: 2022-03-01\nx: &x 1\ny: *x\n---\n正文。\n", encoding="utf-8"
    )
    checked = runner.invoke(main, ["check"])
    assert checked.exit_code == 1 and "cases/alias.md:" in checked.output and "不支持锚点和别名" in checked.output


def test_a_server_trickling_its_headers_is_cut_off_at_the_time_limit() -> None:
    listener = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()
    still_trickling = threading.Event()

    def trickle() -> None:
        connection, _ = listener.accept()
        with connection:
            connection.recv(4096)
            connection.sendall(b"HTTP/1.1 200 OK\r\n")
            still_trickling.set()
            while not stop.wait(0.2):  # one byte of a header every 0.2 s, for ever
                try:
                    connection.sendall(b"X")
                except OSError:
                    return

    server = threading.Thread(target=trickle, daemon=True)
    server.start()
    port = listener.getsockname()[1]
    try:
        with pytest.raises(FetchRefused, match="超过 1 秒未下载完"):
            fetch(f"http://127.0.0.1:{port}/slow.png", {"127.0.0.1"}, timeout=1.0)
        assert still_trickling.is_set() and server.is_alive()  # cut off by us, not by the server ending
    finally:
        stop.set()
        listener.close()


def test_a_title_without_a_usable_character_asks_for_a_slug(runner: CliRunner, tmp_path: Path) -> None:
    source = tmp_path / "表情.txt"
    source.write_text("😀😀\n正文第一段。\n", encoding="utf-8")
    code, out, err = run(runner, str(source), "--kind", "case", "--topic", "louyuan")
    assert (code, out) == (1, "") and "无法从标题“😀😀”生成文件名，请用 --slug 指定" in err
    code, out, _ = run(runner, str(source), "--kind", "case", "--topic", "louyuan", "--slug", "biaoqing")
    assert code == 0 and out.strip().endswith("biaoqing.md")
