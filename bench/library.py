"""The synthetic library ``bench/pages.py`` measures: topics, places and entries in Chinese prose.

A seeded random generator writes ten topics, a few streets and communities, and entries spread
over interviews, salons and cases (some local, some national), each with a body of about 1,500
Chinese characters in Markdown, plus ``media/probe.png`` (the static probe's name).
"""

from __future__ import annotations

import datetime as dt
import random
import re
from dataclasses import dataclass
from pathlib import Path

BODY_CHARS = 1500

TOPICS: tuple[tuple[str, str], ...] = (
    ("wuzhuguan-louyuan", "无主管楼院治理"),
    ("yiqing-fangkong", "疫情防控"),
    ("shehui-zuzhi", "社区社会组织培育及作用发挥"),
    ("dangqun-zhongxin", "党群服务中心规范化创建"),
    ("qinminhua-gaizao", "亲民化改造及作用发挥"),
    ("xiangmuhua-guanli", "社区发展治理项目化管理"),
    ("ziyuan-zhenghe", "辖区资源整合"),
    ("wuye-gongzhi", "物业服务与业主共治"),
    ("jujia-yanglao", "居家养老服务"),
    ("zhiyuan-fuwu", "志愿服务常态化"),
)
PLACES: dict[str, tuple[str, ...]] = {
    "林山寨街道": ("农业银行社区", "碧沙岗社区", "百花社区"),
    "建设路街道": ("中心医院社区", "工人新村社区"),
    "秦岭路街道": ("新街坊社区", "电新街社区"),
    "三官庙街道": ("郑上路社区",),
    "中原西路街道": ("绿都社区", "西流湖社区"),
}
REGIONS = ("北京市", "上海市", "成都市", "杭州市", "南京市", "深圳市", "青岛市", "重庆市")
TAGS = (
    "党建引领",
    "议事协商",
    "楼院自治",
    "志愿服务",
    "阵地建设",
    "老旧小区改造",
    "物业管理",
    "社会组织",
    "居家养老",
    "网格化管理",
    "资源整合",
    "项目化",
    "应急管理",
    "文明创建",
    "青少年",
)
NOUNS = (
    "社区",
    "居民",
    "楼院",
    "楼栋长",
    "党员",
    "志愿者",
    "网格员",
    "物业企业",
    "业委会",
    "驻区单位",
    "社会组织",
    "老年人",
    "党群服务中心",
    "议事会",
    "居民公约",
    "公共空间",
    "维修资金",
    "助餐点",
    "服务清单",
    "积分制度",
    "微心愿",
    "矛盾纠纷",
    "停车难题",
    "环境卫生",
    "加装电梯",
    "需求清单",
    "项目资金",
    "协商机制",
    "骨干队伍",
    "活动阵地",
)
VERBS = (
    "组织",
    "推动",
    "建立",
    "完善",
    "摸清",
    "协调",
    "回应",
    "培育",
    "整合",
    "动员",
    "梳理",
    "落实",
    "公开",
    "引导",
    "化解",
    "链接",
    "评估",
    "改造",
    "规范",
    "激活",
)
LINKS = ("通过", "围绕", "依托", "针对", "借助", "结合", "按照", "面对")
TAILS = (
    "形成长效机制",
    "取得明显成效",
    "赢得居民认可",
    "让服务更贴近群众",
    "逐步走上正轨",
    "减少了反复扯皮",
    "把小事办在楼院里",
    "让居民说了算",
    "成为可复制的经验",
    "持续发挥作用",
)
HEADINGS = {
    "interview": ("访谈背景", "一问：先从哪里入手", "二问：钱从哪里来", "三问：居民怎么参与", "访谈后记"),
    "salon": ("沙龙概况", "观点摘录", "争议与分歧", "共识与下一步"),
    "case": ("背景", "做法", "成效", "实施中的难点", "启示"),
}
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗韩田蒋彭"
GIVEN = ("雪梅", "振华", "建军", "芳", "桂英", "永生", "帆", "海燕", "志强", "秀兰", "国庆", "丽娟")
ROLES = ("社区党委书记", "社区居委会主任", "网格员", "楼栋长", "居民代表", "物业客服经理", "社工")
FIRST_DAY = dt.date(2021, 1, 1)
DAYS = (dt.date(2023, 12, 31) - FIRST_DAY).days


@dataclass
class Library:
    """A generated content tree and one page of each kind to measure."""

    root: Path
    entries: int
    topic_slug: str
    entry_path: str


# --- content generation -----------------------------------------------------------------


class Writer:
    """Plausible-looking Chinese prose from a seeded generator."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def sentence(self) -> str:
        r = self.rng
        parts = [r.choice(LINKS), r.choice(NOUNS), "，", r.choice(NOUNS), r.choice(VERBS), r.choice(NOUNS)]
        if r.random() < 0.5:
            parts += ["和", r.choice(NOUNS)]
        if r.random() < 0.15:
            parts[3] = f"**{parts[3]}**"
        parts += ["，", r.choice(TAILS), r.choice("。。。；！")]
        return "".join(parts)

    def paragraph(self, budget: int) -> str:
        text = ""
        while cjk_len(text) < budget:
            text += self.sentence()
        return text

    def name(self) -> str:
        return self.rng.choice(SURNAMES) + self.rng.choice(GIVEN)

    def body(self, kind: str, chars: int) -> str:
        """Markdown with ``##`` headings, paragraphs and one list, about ``chars`` CJK characters."""
        r = self.rng
        headings = HEADINGS[kind]
        per_section = chars // len(headings)
        list_at = r.randrange(len(headings))
        blocks: list[str] = []
        for index, heading in enumerate(headings):
            blocks.append(f"## {heading}")
            budget = per_section - cjk_len(heading)
            if index == list_at:
                items = [self.paragraph(budget // 8) for _ in range(4)]
                marker = "1." if kind == "case" else "-"
                blocks.append("\n".join(f"{marker} {item}" for item in items))
                budget -= sum(cjk_len(i) for i in items)
            while budget > 0:
                size = min(budget, r.randint(90, 180))
                paragraph = self.paragraph(size)
                blocks.append(paragraph)
                budget -= cjk_len(paragraph)
        return "\n\n".join(blocks) + "\n"


_CJK = re.compile(r"[\u4e00-\u9fff]")


def cjk_len(text: str) -> int:
    return len(_CJK.findall(text))


def _front_matter(fields: dict[str, object]) -> str:
    lines = ["---"]
    for key, value in fields.items():
        if isinstance(value, list):
            lines.append(f"{key}: [{', '.join(map(str, value))}]")
        elif isinstance(value, bool):
            lines.append(f"{key}: {'true' if value else 'false'}")
        else:
            lines.append(f"{key}: {value}")
    lines.append("---")
    return "\n".join(lines) + "\n"


def generate(root: Path, count: int, seed: int) -> Library:
    """Write topics.yml, places.yml, ``count`` entries and media/probe.png under ``root``."""
    rng = random.Random(seed)
    writer = Writer(rng)
    for folder in ("interviews", "salons", "cases", "media"):
        (root / folder).mkdir(parents=True, exist_ok=True)
    topics_yml = "".join(
        f"- slug: {slug}\n  number: {n}\n  title: {title}\n  summary: {writer.paragraph(40)}\n"
        for n, (slug, title) in enumerate(TOPICS, start=1)
    )
    (root / "topics.yml").write_text(topics_yml, encoding="utf-8")
    places_yml = "".join(
        f"{street}:\n" + "".join(f"  - {c}\n" for c in communities) for street, communities in PLACES.items()
    )
    (root / "places.yml").write_text(places_yml, encoding="utf-8")
    # Before the first sync, so the media listing (part of the rules fingerprint) never changes.
    (root / "media" / "probe.png").write_bytes(b"\0")

    streets = list(PLACES)
    entry_path = ""
    for i in range(count):
        topic, topic_title = TOPICS[i % len(TOPICS)]
        kind = rng.choices(("interview", "salon", "case"), weights=(3, 2, 5))[0]
        street = rng.choice(streets)
        community = rng.choice(PLACES[street])
        fields: dict[str, object] = {
            "title": f"{community}：{writer.paragraph(10).rstrip('。；！')}",
            "topic": topic,
            "date": (FIRST_DAY + dt.timedelta(days=rng.randrange(DAYS + 1))).isoformat(),
            "summary": f"围绕{topic_title}，{writer.paragraph(50)}",
            "tags": rng.sample(TAGS, rng.randint(2, 4)),
        }
        if kind == "case" and rng.random() < 0.4:
            fields.update(region=rng.choice(REGIONS), scope="national")
        else:
            fields.update(street=street, community=community)
            if kind == "case":
                fields["scope"] = "local"
        if kind == "interview":
            fields["people"] = [f"{writer.name()}（{community}{rng.choice(ROLES)}）" for _ in range(2)]
        elif kind == "salon":
            fields["participants"] = [f"{writer.name()}（{rng.choice(ROLES)}）" for _ in range(5)]
        if rng.random() < 0.05:
            fields["sample"] = True
        slug = f"{topic}-{kind}-{i:05d}"
        folder = {"interview": "interviews", "salon": "salons", "case": "cases"}[kind]
        text = _front_matter(fields) + writer.body(kind, BODY_CHARS)
        (root / folder / f"{slug}.md").write_text(text, encoding="utf-8")
        if not entry_path and kind == "case" and i >= count // 2:
            entry_path = f"/cases/{slug}"
    return Library(root, count, TOPICS[0][0], entry_path)
