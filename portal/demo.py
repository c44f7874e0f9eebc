"""The demo school: `manage.py seed_demo` builds it, `make run` calls that on every start.

What the core step builds (always the same, from a fixed `random.Random(SEED)`): 3 colleges, 12 classes,
dormitory buildings with single-gender floors, 300 students with guardians, and one login per role,
password `settings.DEMO_PASSWORD`:

    student      买买提·艾力, 计算机学院 软件2401班
    liaison      dorm liaison for the floor of `student`'s room
    committee    class committee member of 软件2401班
    station      station counsellor of 计算机学院
    counselor    centre counsellor
    assessor     crisis assessment group member
    aidreviewer  aid reviewer of 计算机学院
    aidofficer   aid officer
    visitor      home-visit team member
    admin        superuser with the admin role

Ordinary students get unusable passwords: only the ten demo accounts can sign in.

Every step is idempotent: rows are looked up by their natural key (college code, class name, building and
room, username, 学号, employee number) and only missing ones are created, so a second run writes nothing.
Nothing that already exists is updated either: changes made while clicking through the demo survive a
restart.

Extending the demo
------------------
Each app seeds its own data in a module (or package) `<app>.demo`, which lists its steps, in the order they
run, in `STEPS`:

    from portal.demo import DemoSchool

    def seed_counselling(school: DemoSchool, *, stdout: TextIO | None) -> dict[str, int]:
        student = school.students_by_login["student"]
        slot, created = Slot.objects.get_or_create(...)   # keyed on a natural key, never plain create()
        return {"counseling.slot": int(created)}          # how many rows of each kind were created

    STEPS = (seed_counselling,)                            # a package lists its modules' steps in __init__.py

Steps run after the core step, app by app in INSTALLED_APPS order (portal → counseling → aid → homevisits),
each app's in the order of its `STEPS`, all in one transaction. A step receives the
`DemoSchool` (colleges, classes, rooms, students and logins) and returns counts of the rows it created;
`seed_demo` adds them up, writes one `demo.seeded` audit event when anything was created, and returns the
summary. Use a `random.Random` seeded with a constant of your own (not the global `random`) so the demo
stays the same on every machine.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from importlib import import_module
from pathlib import Path
from typing import Any, NamedTuple, TextIO

from django.apps import apps as django_apps
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils.module_loading import module_has_submodule

from portal.audit import audit_log
from portal.crypto import blind_index
from portal.models import (
    ClassGroup,
    College,
    DormRoom,
    Gender,
    Guardian,
    Role,
    RoleAssignment,
    Staff,
    Student,
    User,
)
from portal.validators import id_card_check_digit, mask_id_card

SEED = 20240901
STUDENT_COUNT = 300
EMAIL_DOMAIN = "demo.nuanxin.local"
ROOM_CAPACITY = 6
ROOMS_PER_FLOOR = 10


def words(text: str) -> list[str]:
    return text.split()


# --- The data ---------------------------------------------------------------------------------------

# code, name, number used in 学号, dormitory building
COLLEGES = [
    ("CS", "计算机学院", 1, "北苑1栋"),
    ("ME", "机电工程学院", 2, "南苑1栋"),
    ("EM", "经济管理学院", 3, "西苑1栋"),
]

# college code, class name, major, enrolment year, size, share of women
CLASSES = [
    ("CS", "软件2401班", "软件技术", 2024, 27, 0.3),
    ("CS", "软件2402班", "软件技术", 2024, 25, 0.3),
    ("CS", "大数据2301班", "大数据技术", 2023, 24, 0.35),
    ("CS", "网络2501班", "计算机网络技术", 2025, 26, 0.2),
    ("ME", "机电2401班", "机电一体化技术", 2024, 26, 0.1),
    ("ME", "数控2301班", "数控技术", 2023, 24, 0.05),
    ("ME", "工业机器人2501班", "工业机器人技术", 2025, 25, 0.1),
    ("ME", "汽车2402班", "汽车检测与维修技术", 2024, 23, 0.05),
    ("EM", "会计2401班", "大数据与会计", 2024, 26, 0.8),
    ("EM", "电商2301班", "电子商务", 2023, 25, 0.6),
    ("EM", "物流2501班", "现代物流管理", 2025, 24, 0.4),
    ("EM", "营销2402班", "市场营销", 2024, 25, 0.55),
]
assert sum(c[4] for c in CLASSES) == STUDENT_COUNT


@dataclass(frozen=True)
class Place:
    province: str
    prefecture: str
    county: str
    region_code: str  # the first six digits of an ID-card number issued there
    urban: bool = False


HUBEI = [
    Place("湖北省", "武汉市", "江夏区", "420115", urban=True),
    Place("湖北省", "武汉市", "黄陂区", "420116"),
    Place("湖北省", "武汉市", "新洲区", "420117"),
    Place("湖北省", "黄冈市", "红安县", "421122"),
    Place("湖北省", "黄冈市", "麻城市", "421181"),
    Place("湖北省", "黄冈市", "罗田县", "421123"),
    Place("湖北省", "黄冈市", "英山县", "421124"),
    Place("湖北省", "黄冈市", "蕲春县", "421126"),
    Place("湖北省", "孝感市", "大悟县", "420922"),
    Place("湖北省", "孝感市", "孝昌县", "420921"),
    Place("湖北省", "孝感市", "安陆市", "420982"),
    Place("湖北省", "十堰市", "郧西县", "420322"),
    Place("湖北省", "十堰市", "竹山县", "420323"),
    Place("湖北省", "十堰市", "房县", "420325"),
    Place("湖北省", "荆州市", "洪湖市", "421083"),
    Place("湖北省", "襄阳市", "枣阳市", "420683"),
    Place("湖北省", "随州市", "随县", "421321"),
    Place("湖北省", "咸宁市", "通山县", "421224"),
    Place("湖北省", "黄石市", "阳新县", "420222"),
]
# Tujia country: south-west Hubei.
TUJIA_PLACES = [
    Place("湖北省", "恩施土家族苗族自治州", "利川市", "422802"),
    Place("湖北省", "恩施土家族苗族自治州", "恩施市", "422801"),
    Place("湖北省", "恩施土家族苗族自治州", "咸丰县", "422826"),
    Place("湖北省", "恩施土家族苗族自治州", "来凤县", "422827"),
    Place("湖北省", "宜昌市", "长阳土家族自治县", "420528"),
]
SOUTHERN_XINJIANG = [
    Place("新疆维吾尔自治区", "喀什地区", "疏附县", "653121"),
    Place("新疆维吾尔自治区", "喀什地区", "喀什市", "653101", urban=True),
    Place("新疆维吾尔自治区", "喀什地区", "莎车县", "653125"),
    Place("新疆维吾尔自治区", "喀什地区", "伽师县", "653129"),
    Place("新疆维吾尔自治区", "克孜勒苏柯尔克孜自治州", "阿图什市", "653001"),
    Place("新疆维吾尔自治区", "和田地区", "和田县", "653221"),
    Place("新疆维吾尔自治区", "和田地区", "墨玉县", "653222"),
    Place("新疆维吾尔自治区", "阿克苏地区", "库车市", "652902"),
    Place("新疆维吾尔自治区", "吐鲁番市", "高昌区", "650402"),
    Place("新疆维吾尔自治区", "乌鲁木齐市", "天山区", "650102", urban=True),
]
NORTHERN_XINJIANG = [
    Place("新疆维吾尔自治区", "伊犁哈萨克自治州", "特克斯县", "654027"),
    Place("新疆维吾尔自治区", "伊犁哈萨克自治州", "伊宁市", "654002", urban=True),
    Place("新疆维吾尔自治区", "塔城地区", "额敏县", "654221"),
    Place("新疆维吾尔自治区", "阿勒泰地区", "富蕴县", "654322"),
    Place("新疆维吾尔自治区", "阿勒泰地区", "阿勒泰市", "654301"),
    Place("新疆维吾尔自治区", "昌吉回族自治州", "木垒哈萨克自治县", "652328"),
]
HAN_XINJIANG = [
    Place("新疆维吾尔自治区", "乌鲁木齐市", "沙依巴克区", "650103", urban=True),
    Place("新疆维吾尔自治区", "昌吉回族自治州", "昌吉市", "652301", urban=True),
]
HUI_PLACES = [
    Place("新疆维吾尔自治区", "昌吉回族自治州", "昌吉市", "652301", urban=True),
    Place("宁夏回族自治区", "吴忠市", "同心县", "640324"),
    Place("宁夏回族自治区", "吴忠市", "利通区", "640302", urban=True),
    Place("湖北省", "武汉市", "江夏区", "420115", urban=True),
]
# 革命老区: aid programmes give these students extra weight.
OLD_REVOLUTIONARY_COUNTIES = {"红安县", "麻城市", "大悟县", "罗田县", "英山县", "孝昌县", "洪湖市", "阳新县", "通山县"}

HAN_SURNAMES = (
    "王李张刘陈杨黄赵周吴徐孙胡朱高林何郭罗梁宋郑谢韩唐冯董程曹袁邓许沈曾彭吕苏卢蒋蔡魏叶余潘杜夏钟汪田任"
    "姜范方石姚谭廖邹熊金陆孔崔毛邱秦江史顾侯邵孟万段雷汤尹黎易常武乔贺赖龚文"
)
TUJIA_SURNAMES = "向田覃冉谭彭黄杨张李"
HUI_SURNAMES = "马马马白哈纳丁沙穆海"
HAN_MALE = words(
    "浩然 子轩 宇航 俊杰 志强 文博 鹏 磊 涛 明辉 家豪 晨 昊天 思远 博文 建华 伟 强 杰 亮 一鸣 天佑 梓豪 睿 "
    "嘉乐 泽宇 浩 俊熙 子豪 振宇 国庆 雨泽 航 凯 诚 旭东 志鹏 鑫 斌 宏伟"
)
HAN_FEMALE = words(
    "欣怡 梓涵 诗琪 雨桐 佳怡 思雨 婷 静 丹 娜 晓雯 梦瑶 雅琪 慧敏 紫萱 可欣 芳 倩 颖 心怡 玉兰 春燕 晶晶 "
    "文静 雪 悦 佳琪 一诺 若曦 梦婷 丽 敏 秀英 海燕 雨欣 思琪"
)
# Uyghur and Kazakh names: own name · father's name.
UYGHUR_MALE = words(
    "买买提 艾力 艾合买提 阿不都热合曼 吐尔逊 伊力哈木 热合曼 麦麦提江 阿卜杜拉 努尔艾合买提 亚森 艾则孜 "
    "库尔班 玉素甫 阿迪力 依明 艾尔肯 阿布都许库尔 买合木提 吾斯曼"
)
UYGHUR_FEMALE = words(
    "阿依古丽 古丽娜尔 迪丽努尔 热依拉 帕提古丽 阿依努尔 米热古丽 祖丽菲亚 努尔古丽 再努尔 古再丽努尔 麦尔哈巴 "
    "阿孜古丽 布帕提玛 热孜亚"
)
KAZAKH_MALE = words("努尔兰 叶尔兰 别克 哈斯木 吐尔洪 加尔肯 叶尔江 阿斯哈尔 达吾列提 巴合提 叶尔波拉提 马地亚尔")
KAZAKH_FEMALE = words("阿依达娜 古丽巴哈尔 阿娜尔 阿依江 加娜尔 沙吾列 玛依拉 阿勒腾 古丽扎提")
# Names as their owners write them, in the Uyghur script: (name, gender, father's name).
UYGHUR_SCRIPT = [
    ("ئابدۇراخمان ئەخمەت", Gender.MALE, "ئەخمەت قادىر"),
    ("ئايگۈل تۇرسۇن", Gender.FEMALE, "تۇرسۇن ئىمىن"),
    ("مۇھەممەت ئىمىن", Gender.MALE, "ئىمىن ياسىن"),
    ("پاتىگۈل ئابلىز", Gender.FEMALE, "ئابلىز ھەسەن"),
    ("ئەركىن ياسىن", Gender.MALE, "ياسىن مەمەت"),
    ("گۈلنار ئەھمەت", Gender.FEMALE, "ئەھمەت تۇردى"),
]

# How many students of each kind (the rest are Han), shuffled into the classes.
KIND_COUNTS = {"uyghur": 38, "uyghur_script": len(UYGHUR_SCRIPT), "kazakh": 14, "hui": 10, "tujia": 18}
ETHNICITY = {
    "han": "汉族",
    "uyghur": "维吾尔族",
    "uyghur_script": "维吾尔族",
    "kazakh": "哈萨克族",
    "hui": "回族",
    "tujia": "土家族",
}

HUBEI_TOWNS = words("城关镇 新集镇 河口镇 石桥镇 双河乡 白果镇 七里坪镇 宣化店镇 八里湾镇 龙潭镇 团风镇 平林镇")
HUBEI_VILLAGES = words("东风村 红星村 新华村 团结村 光明村 和平村 胜利村 建设村 永安村 长岭村")
XINJIANG_TOWNS = words("托克扎克镇 乌帕尔镇 阿克喀什乡 布拉克苏乡 站敏乡 塔什米里克乡 阔克铁热克乡 喀拉布拉克乡")
CITY_STREETS = words("解放路 人民路 和平路 建设路 团结路 幸福路 文化路 光明路")
PHONE_PREFIXES = words(
    "130 131 132 133 134 135 136 137 138 139 150 151 152 153 155 156 157 158 159 "
    "166 173 176 177 180 181 182 183 185 186 187 188 189 191 198 199"
)

# Demo logins: username → what the login is, for the summary.
STUDENT_LOGINS = {
    "student": "学生 · 计算机学院 软件2401班",
    "liaison": "宿舍心理联络员 · 北苑1栋 (student 的楼层)",
    "committee": "心理委员 · 软件2401班",
}


class StaffLogin(NamedTuple):
    employee_no: str
    name: str
    college_code: str | None  # None: a school-wide unit
    unit: str
    role: Role
    description: str


STAFF_LOGINS = {
    "station": StaffLogin(
        "T2015031", "刘晓燕", "CS", "计算机学院心理辅导站", Role.STATION_COUNSELLOR, "二级学院心理辅导站 · 计算机学院"
    ),
    "counselor": StaffLogin(
        "T2012007", "周静", None, "心理健康教育中心", Role.CENTRE_COUNSELLOR, "心理健康教育中心 咨询师"
    ),
    "assessor": StaffLogin("T2009012", "郑建国", None, "心理危机评估小组", Role.ASSESSOR, "心理危机评估小组 成员"),
    "aidreviewer": StaffLogin(
        "T2016044", "黄丽", "CS", "计算机学院学生工作办公室", Role.AID_REVIEWER, "学院资助审核 · 计算机学院"
    ),
    "aidofficer": StaffLogin("T2011020", "吴志刚", None, "学生资助管理中心", Role.AID_OFFICER, "学生资助管理中心"),
    "visitor": StaffLogin("T2018056", "孙伟", None, "学生工作处", Role.VISIT_TEAM, "家访工作组 成员"),
    "admin": StaffLogin("T2010001", "陈磊", None, "信息化办公室", Role.ADMIN, "系统管理员 (Django admin)"),
}
# 辅导员 of the other colleges: head teachers without a login.
HEAD_TEACHERS = {"ME": ("T2014018", "彭军"), "EM": ("T2017025", "熊芳")}
DEMO_LOGINS = [*STUDENT_LOGINS, *STAFF_LOGINS]


# --- What the core step hands to the other steps ------------------------------------------------------


@dataclass
class DemoSchool:
    colleges: dict[str, College] = field(default_factory=dict)  # by code
    classes: dict[str, ClassGroup] = field(default_factory=dict)  # by name
    rooms: dict[tuple[str, str], DormRoom] = field(default_factory=dict)  # by (building, room)
    students: list[Student] = field(default_factory=list)  # all demo students, by 学号
    logins: dict[str, User] = field(default_factory=dict)  # by demo username
    students_by_login: dict[str, Student] = field(default_factory=dict)
    staff_by_login: dict[str, Staff] = field(default_factory=dict)


Step = Callable[..., dict[str, int]]


def demo_steps() -> list[Step]:
    """The steps to run after the core step: `<app>.demo.STEPS` of each of the project's own apps (not
    third-party ones, and not portal, whose data is the core step), in INSTALLED_APPS order.

    Each app states its order in one list, so it does not depend on which module a test (or a shell) happened
    to import first, nor on module names: the order decides every random draw and id of the demo."""
    steps: list[Step] = []
    for app_config in django_apps.get_app_configs():
        if app_config.name == "portal" or Path(app_config.path).parent != Path(settings.BASE_DIR):
            continue
        if module_has_submodule(app_config.module, "demo"):
            steps.extend(import_module(f"{app_config.name}.demo").STEPS)
    return steps


# --- Generating the people (pure: no database, so the same on every run) ------------------------------


@dataclass
class GuardianSpec:
    name: str
    relation: str
    phone: str


@dataclass
class StudentSpec:
    student_no: str
    username: str
    name: str
    gender: str
    ethnicity: str
    id_card_number: str
    phone: str
    place: Place
    address: str
    college_code: str
    class_name: str
    enrolment_year: int
    status: str
    guardians: list[GuardianSpec]
    room: tuple[str, str] | None = None  # (building, room)


@dataclass(frozen=True)
class _Fixed:
    """A demo persona whose name and hometown are chosen, not drawn."""

    username: str
    kind: str
    gender: str
    name: str
    guardians: tuple[tuple[str, str], ...]
    place: Place


# The first three students of 软件2401班 are the student logins.
FIXED_STUDENTS = [
    _Fixed(
        "student",
        "uyghur",
        Gender.MALE,
        "买买提·艾力",
        (("艾力·买买提", "父亲"), ("阿依古丽·吐尔逊", "母亲")),
        SOUTHERN_XINJIANG[0],
    ),
    _Fixed("liaison", "han", Gender.MALE, "胡浩然", (("胡建华", "父亲"), ("程春燕", "母亲")), HUBEI[3]),
    _Fixed("committee", "han", Gender.FEMALE, "陈思雨", (("陈志强", "父亲"),), HUBEI[8]),
]
GRANDFATHER_GIVEN = words("德明 国华 福生 长贵 金山 振华 德胜 家旺")


class PeopleGenerator:
    """Names, phones, ID numbers and addresses from one seeded Random, never twice the same phone or ID number
    (seed_demo; seed_scale reuses it for 30,000 students)."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.phones: set[str] = set()
        self.id_numbers: set[str] = set()
        self.script_names = list(UYGHUR_SCRIPT)

    def phone(self) -> str:
        while True:
            number = self.rng.choice(PHONE_PREFIXES) + f"{self.rng.randrange(10**8):08d}"
            if number not in self.phones:
                self.phones.add(number)
                return number

    def id_card(self, place: Place, birth_year: int, gender: str) -> str:
        """GB 11643: region, birth date, a sequence whose last digit is odd for men, check digit."""
        while True:
            birthday = date(birth_year, 1, 1) + timedelta(days=self.rng.randrange(365))
            parity = (1, 3, 5, 7, 9) if gender == Gender.MALE else (0, 2, 4, 6, 8)
            sequence = self.rng.randrange(100) * 10 + self.rng.choice(parity)
            first17 = f"{place.region_code}{birthday:%Y%m%d}{sequence:03d}"
            number = first17 + id_card_check_digit(first17)
            if number not in self.id_numbers:
                self.id_numbers.add(number)
                return number

    def address(self, place: Place) -> str:
        rng = self.rng
        if place.urban:
            return (
                f"{rng.choice(CITY_STREETS)}{rng.randrange(1, 300)}号{rng.randrange(1, 12)}栋{rng.randrange(1, 6)}单元"
            )
        if place.province == "湖北省":
            return f"{rng.choice(HUBEI_TOWNS)}{rng.choice(HUBEI_VILLAGES)}{rng.randrange(1, 9)}组"
        return f"{rng.choice(XINJIANG_TOWNS)}{rng.randrange(1, 16)}村{rng.randrange(1, 120)}号"

    def person(self, kind: str, gender: str) -> tuple[str, str, list[tuple[str, str]], Place]:
        """Name, gender, guardians (name, relation) and a hometown that fit the ethnicity."""
        rng = self.rng
        if kind == "uyghur_script":
            name, gender, father = self.script_names.pop(0)
            return name, gender, [(father, "父亲")], rng.choice(SOUTHERN_XINJIANG)
        male = gender == Gender.MALE
        if kind in ("han", "tujia", "hui"):
            surname = rng.choice({"han": HAN_SURNAMES, "tujia": TUJIA_SURNAMES, "hui": HUI_SURNAMES}[kind])
            name = surname + rng.choice(HAN_MALE if male else HAN_FEMALE)
            if kind == "tujia":
                place = rng.choice(TUJIA_PLACES)
            elif kind == "hui":
                place = rng.choice(HUI_PLACES)
            else:
                place = rng.choice(HAN_XINJIANG) if rng.random() < 0.06 else rng.choice(HUBEI)
            guardians = [
                (surname + rng.choice(HAN_MALE), "父亲"),
                (rng.choice(HAN_SURNAMES) + rng.choice(HAN_FEMALE), "母亲"),
            ]
            # Left-behind children (留守儿童): raised by a grandparent while the parents work away.
            if place.province == "湖北省" and rng.random() < 0.12:
                guardians = [(surname + rng.choice(GRANDFATHER_GIVEN), "祖父")]
            return name, gender, guardians, place
        given_male, given_female = (UYGHUR_MALE, UYGHUR_FEMALE) if kind == "uyghur" else (KAZAKH_MALE, KAZAKH_FEMALE)
        # Own name · father's name; the father's own name · the grandfather's.
        father = rng.choice(given_male)
        own = rng.choice([n for n in (given_male if male else given_female) if n != father])
        guardians = [
            (f"{father}·{rng.choice(given_male)}", "父亲"),
            (f"{rng.choice(given_female)}·{rng.choice(given_male)}", "母亲"),
        ]
        place = rng.choice(SOUTHERN_XINJIANG if kind == "uyghur" else NORTHERN_XINJIANG)
        return f"{own}·{father}", gender, guardians, place

    def student(
        self, *, kind: str, gender: str, student_no: str, class_row: tuple, fixed: _Fixed | None
    ) -> StudentSpec:
        rng = self.rng
        college_code, class_name, _major, year, _size, _women = class_row
        if fixed is not None:
            name, gender, guardians, place = fixed.name, fixed.gender, list(fixed.guardians), fixed.place
        else:
            name, gender, guardians, place = self.person(kind, gender)
            if len(guardians) == 2 and rng.random() < 0.25:
                guardians = [rng.choice(guardians)]
        birth_year = year - rng.choice((18, 19, 19, 19, 20))
        roll = rng.random()
        status = Student.Status.ENROLLED
        if fixed is None and roll < 0.025:
            status = Student.Status.LEAVE
        elif fixed is None and roll < 0.04 and year == 2023:
            status = Student.Status.GRADUATED
        return StudentSpec(
            student_no=student_no,
            username=fixed.username if fixed else student_no,
            name=name,
            gender=gender,
            ethnicity=ETHNICITY[kind],
            id_card_number=self.id_card(place, birth_year, gender),
            phone=self.phone(),
            place=place,
            address=self.address(place),
            college_code=college_code,
            class_name=class_name,
            enrolment_year=year,
            status=status,
            guardians=[GuardianSpec(n, r, self.phone()) for n, r in guardians],
        )


def plan_students(rng: random.Random) -> list[StudentSpec]:
    """The 300 students, each with a room: classmates of one gender share rooms, floors are single-gender."""
    gen = PeopleGenerator(rng)
    kinds = [kind for kind, n in KIND_COUNTS.items() for _ in range(n)]
    kinds = ["han"] * (STUDENT_COUNT - len(FIXED_STUDENTS) - len(kinds)) + kinds
    rng.shuffle(kinds)
    college_numbers = {code: number for code, _name, number, _building in COLLEGES}
    per_college: Counter[str] = Counter()
    specs = []
    for class_row in CLASSES:
        college_code, class_name, _major, year, size, women = class_row
        per_college[college_code] += 1
        for seq in range(1, size + 1):
            fixed = FIXED_STUDENTS[seq - 1] if class_name == "软件2401班" and seq <= len(FIXED_STUDENTS) else None
            student_no = f"{year}{college_numbers[college_code]:02d}{per_college[college_code]:02d}{seq:02d}"
            gender = Gender.FEMALE if rng.random() < women else Gender.MALE
            kind = fixed.kind if fixed else kinds.pop()
            specs.append(gen.student(kind=kind, gender=gender, student_no=student_no, class_row=class_row, fixed=fixed))
    _assign_rooms(specs)
    return specs


def _assign_rooms(specs: list[StudentSpec]) -> None:
    """Fill each college's building from room 101: men first, then women from the next free floor."""
    buildings = {code: building for code, _name, _number, building in COLLEGES}
    for code, building in buildings.items():
        floor, index = 1, 0
        for gender in (Gender.MALE, Gender.FEMALE):
            residents = [
                s
                for s in specs
                if s.college_code == code and s.gender == gender and s.status == Student.Status.ENROLLED
            ]
            for start in range(0, len(residents), ROOM_CAPACITY):
                if index == ROOMS_PER_FLOOR:
                    floor, index = floor + 1, 0
                index += 1
                for s in residents[start : start + ROOM_CAPACITY]:
                    s.room = (building, f"{floor}{index:02d}")
            floor, index = floor + 1, 0


def plan_rooms(specs: Iterable[StudentSpec]) -> list[tuple[str, int, str]]:
    """Every room on every floor that has residents, empty rooms included: (building, floor, room)."""
    floors = sorted({(s.room[0], int(s.room[1][:-2])) for s in specs if s.room})
    return [(building, floor, f"{floor}{i:02d}") for building, floor in floors for i in range(1, ROOMS_PER_FLOOR + 1)]


# --- Writing it (idempotent: look up by natural key, create only what is missing) ---------------------


def _demo_email(username: str) -> str:
    return f"{username}@{EMAIL_DOMAIN}"


def _login(username: str, **defaults: Any) -> tuple[User, bool]:
    """A demo account; the password is hashed only when it is created (argon2 is slow on purpose)."""
    user, created = User.objects.get_or_create(username=username, defaults={"email": _demo_email(username), **defaults})
    if created:
        user.set_password(settings.DEMO_PASSWORD)
        user.save(update_fields=["password"])
    return user, created


def seed_core(school: DemoSchool, *, stdout: TextIO | None = None) -> dict[str, int]:
    created: Counter[str] = Counter()

    def count(model: type, n: int | bool) -> None:
        created[model._meta.label_lower] += int(n)

    for code, name, _number, _building in COLLEGES:
        college, new = College.objects.get_or_create(
            code=code, defaults={"name": name, "leadership_email": f"{code.lower()}-lead@{EMAIL_DOMAIN}"}
        )
        school.colleges[code] = college
        count(College, new)

    # Staff: the demo logins, then head teachers without a login.
    for username, login in STAFF_LOGINS.items():
        is_admin = username == "admin"
        user, new = _login(
            username, full_name=login.name, is_staff=is_admin, is_superuser=is_admin, local_sign_in=is_admin
        )
        count(User, new)
        staff, new = Staff.objects.get_or_create(
            employee_no=login.employee_no,
            defaults={
                "user": user,
                "name": login.name,
                "college": school.colleges.get(login.college_code),
                "unit": login.unit,
                "phone": f"027-8761{login.employee_no[-4:]}",
            },
        )
        count(Staff, new)
        school.logins[username] = user
        school.staff_by_login[username] = staff
    head_teachers = {"CS": school.staff_by_login["station"]}
    for college_code, (employee_no, name) in HEAD_TEACHERS.items():
        user, new = User.objects.get_or_create(
            username=employee_no, defaults={"full_name": name, "password": make_password(None)}
        )
        count(User, new)
        staff, new = Staff.objects.get_or_create(
            employee_no=employee_no,
            defaults={
                "user": user,
                "name": name,
                "college": school.colleges[college_code],
                "unit": f"{school.colleges[college_code].name}学生工作办公室",
                "phone": f"027-8761{employee_no[-4:]}",
            },
        )
        count(Staff, new)
        head_teachers[college_code] = staff

    for college_code, name, major, year, _size, _women in CLASSES:
        class_group, new = ClassGroup.objects.get_or_create(
            name=name,
            defaults={
                "college": school.colleges[college_code],
                "major": major,
                "enrolment_year": year,
                "head_teacher": head_teachers[college_code],
            },
        )
        school.classes[name] = class_group
        count(ClassGroup, new)

    specs = plan_students(random.Random(SEED))
    _seed_rooms(school, specs, count)
    _seed_students(school, specs, count)
    _seed_roles(school, count)
    if stdout is not None:
        stdout.write(f"core: {sum(created.values())} rows created\n")
    return dict(created)


def _seed_rooms(school: DemoSchool, specs: list[StudentSpec], count: Callable) -> None:
    planned = plan_rooms(specs)
    buildings = {building for building, _floor, _room in planned}
    existing = set(DormRoom.objects.filter(building__in=buildings).values_list("building", "room"))
    missing = [DormRoom(building=b, floor=f, room=r) for b, f, r in planned if (b, r) not in existing]
    DormRoom.objects.bulk_create(missing)
    count(DormRoom, len(missing))
    school.rooms = {(r.building, r.room): r for r in DormRoom.objects.filter(building__in=buildings)}


def _seed_students(school: DemoSchool, specs: list[StudentSpec], count: Callable) -> None:
    usernames = [s.username for s in specs]
    existing_users = set(User.objects.filter(username__in=usernames).values_list("username", flat=True))
    new_users = []
    for s in specs:
        if s.username in existing_users:
            continue
        if s.username in STUDENT_LOGINS:
            new_users.append(
                User(
                    username=s.username,
                    full_name=s.name,
                    email=_demo_email(s.username),
                    password=make_password(settings.DEMO_PASSWORD),
                )
            )
        else:
            new_users.append(User(username=s.username, full_name=s.name, password=make_password(None)))
    User.objects.bulk_create(new_users)
    count(User, len(new_users))
    users = {u.username: u for u in User.objects.filter(username__in=usernames)}

    numbers = [s.student_no for s in specs]
    existing_students = set(Student.objects.filter(student_no__in=numbers).values_list("student_no", flat=True))
    # bulk_create skips Student.save, so the masked form and the blind index are derived here.
    new_students = [
        Student(
            user=users[s.username],
            student_no=s.student_no,
            name=s.name,
            gender=s.gender,
            ethnicity=s.ethnicity,
            id_card_number=s.id_card_number,
            id_card_masked=mask_id_card(s.id_card_number),
            id_card_index=blind_index(s.id_card_number),
            phone=s.phone,
            hometown_province=s.place.province,
            hometown_prefecture=s.place.prefecture,
            hometown_county=s.place.county,
            hometown_address=s.address,
            college=school.colleges[s.college_code],
            class_group=school.classes[s.class_name],
            room=school.rooms[s.room] if s.room else None,
            enrolment_year=s.enrolment_year,
            status=s.status,
        )
        for s in specs
        if s.student_no not in existing_students
    ]
    Student.objects.bulk_create(new_students)
    count(Student, len(new_students))
    students = {
        st.student_no: st
        for st in Student.objects.filter(student_no__in=numbers).select_related(
            "user", "college", "class_group", "room"
        )
    }
    school.students = [students[n] for n in numbers]
    school.students_by_login = {s.username: students[s.student_no] for s in specs if s.username in STUDENT_LOGINS}
    school.logins.update({name: st.user for name, st in school.students_by_login.items()})

    # Guardians have no natural key of their own: they come with their student, on the student's first run.
    guardians = [
        Guardian(student=students[s.student_no], name=g.name, relation=g.relation, phone=g.phone)
        for s in specs
        if s.student_no not in existing_students
        for g in s.guardians
    ]
    Guardian.objects.bulk_create(guardians)
    count(Guardian, len(guardians))

    user_ids = [st.user_id for st in school.students]
    has_role = set(
        RoleAssignment.objects.filter(role=Role.STUDENT, user_id__in=user_ids).values_list("user_id", flat=True)
    )
    roles = [RoleAssignment(user_id=uid, role=Role.STUDENT) for uid in user_ids if uid not in has_role]
    RoleAssignment.objects.bulk_create(roles)
    count(RoleAssignment, len(roles))


def _seed_roles(school: DemoSchool, count: Callable) -> None:
    student = school.students_by_login["student"]
    floor_rooms = [
        r for r in school.rooms.values() if r.building == student.room.building and r.floor == student.room.floor
    ]
    liaison, new = RoleAssignment.objects.get_or_create(user=school.logins["liaison"], role=Role.DORM_LIAISON)
    if new:
        liaison.rooms.set(floor_rooms)
    count(RoleAssignment, new)
    _new, new = RoleAssignment.objects.get_or_create(
        user=school.logins["committee"], role=Role.CLASS_COMMITTEE, class_group=student.class_group
    )
    count(RoleAssignment, new)
    for username, login in STAFF_LOGINS.items():
        _assignment, new = RoleAssignment.objects.get_or_create(
            user=school.logins[username], role=login.role, college=school.colleges.get(login.college_code)
        )
        count(RoleAssignment, new)


# --- The entry point ----------------------------------------------------------------------------------


def demo_accounts() -> dict[str, str]:
    """username → what the account shows, in the order the summary lists them."""
    return {**STUDENT_LOGINS, **{u: login.description for u, login in STAFF_LOGINS.items()}}


@transaction.atomic
def seed_demo(*, stdout: TextIO | None = None) -> dict[str, Any]:
    """Build the demo school (the core step, then every app's steps); a second run creates nothing.

    Returns {"created": {model label: rows created}, "accounts": {username: description},
    "password": the demo password, "school": the DemoSchool}.
    """
    school = DemoSchool()
    created: Counter[str] = Counter(seed_core(school, stdout=stdout))
    for step in demo_steps():
        created.update(step(school, stdout=stdout))
    created_rows = {label: n for label, n in sorted(created.items()) if n}
    if created_rows:
        audit_log(actor=None, action="demo.seeded", object_type="demo", changes={"created": created_rows})
    return {
        "created": created_rows,
        "accounts": demo_accounts(),
        "password": settings.DEMO_PASSWORD,
        "school": school,
    }
