"""Demo and test data for the CRM: plain literals, no I/O (dates are relative to 'today')."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from crm_bridge.phones import cn_id_check_digit
from crm_bridge.vocab import FieldAgentStatus as FA
from crm_bridge.vocab import PolicyStatus as PS
from crm_bridge.vocab import Product, Role, Tier


@dataclass(frozen=True)
class AgentSeed:
    extension: str
    name: str
    languages: tuple[str, ...]
    team: str
    role: Role
    skills: tuple[tuple[str, int], ...] = ()
    wrapup_seconds: int | None = None


@dataclass(frozen=True)
class CustomerSeed:
    name: str
    id_number: str
    tier: Tier
    region: str
    phones: tuple[tuple[str, str], ...]  # (number, kind)
    time_zone: str = "Asia/Shanghai"
    language: str = "zh"
    blacklisted: bool = False
    account_manager: str | None = None  # agent extension
    birth_date: date | None = None  # only for identity numbers that do not carry one


@dataclass(frozen=True)
class PolicySeed:
    number: str
    customer_id_number: str
    product: Product
    status: PS
    due_in_days: int
    paid_days_ago: int | None = None


@dataclass(frozen=True)
class FieldAgentSeed:
    badge_number: str
    name: str
    branch: str
    status: FA
    licence_days_left: int
    phone: str


def cn_id(first17: str) -> str:
    return first17 + cn_id_check_digit(first17)


AGENTS = (
    AgentSeed(
        "8001",
        "李明",
        ("zh",),
        "service",
        Role.AGENT,
        (("service", 4), ("sales", 2), ("auto", 2)),
        15,
    ),
    AgentSeed(
        "8002", "王静", ("zh", "en"), "service", Role.AGENT, (("service", 3), ("complaints", 4))
    ),
    AgentSeed(
        "8003",
        "张磊",
        ("zh", "en"),
        "collections",
        Role.AGENT,
        (("collections", 5), ("service", 2)),
    ),
    AgentSeed(
        "8004",
        "Sarah Wong",
        ("en", "zh"),
        "service",
        Role.AGENT,
        (("service", 4), ("sales", 3), ("auto", 3), ("health", 2)),
    ),
    AgentSeed(
        "8005",
        "陈晓燕",
        ("zh", "en"),
        "vip",
        Role.AGENT,
        (("vip", 5), ("service", 5), ("sales", 4), ("complaints", 3), ("auto", 4), ("health", 4)),
        20,
    ),
    AgentSeed(
        "8006",
        "赵刚",
        ("zh",),
        "vip",
        Role.AGENT,
        (("vip", 4), ("sales", 5), ("collections", 3), ("auto", 5), ("health", 4), ("accident", 4)),
    ),
    AgentSeed("9001", "刘建国", ("zh",), "service", Role.SUPERVISOR, (("complaints", 5),)),
    AgentSeed("9002", "Helen Zhou", ("en", "zh"), "vip", Role.SUPERVISOR, (("vip", 5),)),
    AgentSeed("9900", "系统管理员", ("zh", "en"), "operations", Role.ADMIN),
)

ZHANG_WEI = cn_id("11010119850307123")
WANG_FANG = cn_id("31010419780615246")
LI_NA = cn_id("44010619900922368")
LIU_YANG = cn_id("32010219921111415")
CHEN_JING = cn_id("33010619830228527")
YANG_LEI = cn_id("65010219870419639")
ZHAO_MIN = cn_id("51010419950801742")
HUANG_QIANG = cn_id("42010219800512851")
ZHOU_TING = cn_id("35020319960314962")
WU_JUN = cn_id("37010219720909173")
JAMES_SMITH = "GBR533117892"
EMILY_CHEN = cn_id("44030519910720382")

BLACKLISTED_NUMBER = "13900000666"

CUSTOMERS = (
    CustomerSeed("张伟", ZHANG_WEI, Tier.STANDARD, "Beijing", (("13800138000", "mobile"),)),
    CustomerSeed(
        "王芳",
        WANG_FANG,
        Tier.VIP,
        "Shanghai",
        (("13800138001", "mobile"),),
        account_manager="8005",
    ),
    CustomerSeed(
        "李娜", LI_NA, Tier.GOLD, "Guangdong", (("13800138002", "mobile"), ("02087654321", "home"))
    ),
    CustomerSeed("刘洋", LIU_YANG, Tier.STANDARD, "Jiangsu", (("13800138003", "mobile"),)),
    CustomerSeed(
        "陈静",
        CHEN_JING,
        Tier.VIP,
        "Zhejiang",
        (("13800138004", "mobile"), ("057188889999", "work")),
        account_manager="8006",
    ),
    CustomerSeed(
        "杨磊", YANG_LEI, Tier.STANDARD, "Xinjiang", (("13800138005", "mobile"),), "Asia/Urumqi"
    ),
    CustomerSeed("赵敏", ZHAO_MIN, Tier.GOLD, "Sichuan", (("13800138006", "mobile"),)),
    CustomerSeed(
        "黄强",
        HUANG_QIANG,
        Tier.STANDARD,
        "Hubei",
        ((BLACKLISTED_NUMBER, "mobile"),),
        blacklisted=True,
    ),
    CustomerSeed("周婷", ZHOU_TING, Tier.STANDARD, "Fujian", (("13800138008", "mobile"),)),
    CustomerSeed(
        "吴军", WU_JUN, Tier.VIP, "Shandong", (("13800138009", "mobile"),), account_manager="8005"
    ),
    CustomerSeed(
        "James Smith",
        JAMES_SMITH,
        Tier.STANDARD,
        "London",
        (("447700900123", "mobile"),),
        "Europe/London",
        "en",
        birth_date=date(1979, 4, 23),
    ),
    CustomerSeed(
        "Emily Chen",
        EMILY_CHEN,
        Tier.GOLD,
        "Guangdong",
        (("13800138011", "mobile"),),
        language="en",
    ),
)

POLICIES = (
    PolicySeed("PL2024000101", ZHANG_WEI, Product.AUTO, PS.OVERDUE, -15),
    PolicySeed("PL2024000102", ZHANG_WEI, Product.HEALTH, PS.ACTIVE, -30, 35),
    PolicySeed("PL2024000201", WANG_FANG, Product.LIFE, PS.ACTIVE, -10, 12),
    PolicySeed("PL2024000202", WANG_FANG, Product.PROPERTY, PS.ACTIVE, 20),
    PolicySeed("PL2024000203", WANG_FANG, Product.HEALTH, PS.ACTIVE, -60, 61),
    PolicySeed("PL2024000301", LI_NA, Product.AUTO, PS.ACTIVE, 10),
    PolicySeed("PL2024000302", LI_NA, Product.ACCIDENT, PS.OVERDUE, -40),
    PolicySeed("PL2024000401", LIU_YANG, Product.HEALTH, PS.OVERDUE, -5),
    PolicySeed("PL2024000402", LIU_YANG, Product.ACCIDENT, PS.ACTIVE, 45),
    PolicySeed("PL2024000501", CHEN_JING, Product.LIFE, PS.ACTIVE, -20, 25),
    PolicySeed("PL2024000502", CHEN_JING, Product.AUTO, PS.ACTIVE, -3, 4),
    PolicySeed("PL2024000601", YANG_LEI, Product.PROPERTY, PS.ACTIVE, 30),
    PolicySeed("PL2024000701", ZHAO_MIN, Product.ACCIDENT, PS.ACTIVE, -7, 9),
    PolicySeed("PL2024000702", ZHAO_MIN, Product.HEALTH, PS.LAPSED, -120),
    PolicySeed("PL2024000801", HUANG_QIANG, Product.AUTO, PS.CANCELLED, -200),
    PolicySeed("PL2024000901", ZHOU_TING, Product.HEALTH, PS.OVERDUE, -60),
    PolicySeed("PL2024001001", WU_JUN, Product.LIFE, PS.ACTIVE, -45, 50),
    PolicySeed("PL2024001002", WU_JUN, Product.PROPERTY, PS.OVERDUE, -8),
    PolicySeed("PL2024001101", JAMES_SMITH, Product.HEALTH, PS.ACTIVE, -14, 20),
    PolicySeed("PL2024001201", EMILY_CHEN, Product.AUTO, PS.OVERDUE, -3),
    # appended, not inserted, so the premiums drawn for the policies above never shift
    PolicySeed("PL2024000503", CHEN_JING, Product.HEALTH, PS.OVERDUE, -12),
)

PREMIUM_RANGES = {  # yuan per period
    Product.AUTO: (2000, 8000),
    Product.HEALTH: (800, 5000),
    Product.ACCIDENT: (100, 600),
    Product.LIFE: (5000, 30000),
    Product.PROPERTY: (500, 3000),
}

FIELD_AGENTS = (
    FieldAgentSeed("FA100234", "孙浩", "上海分公司", FA.ACTIVE, 400, "13712340234"),
    FieldAgentSeed("FA100235", "马丽", "北京分公司", FA.ACTIVE, 200, "13712340235"),
    FieldAgentSeed("FA100236", "朱勇", "广州分公司", FA.SUSPENDED, 300, "13712340236"),
    FieldAgentSeed("FA100237", "胡静", "深圳分公司", FA.TERMINATED, -100, "13712340237"),
    FieldAgentSeed("FA100238", "郭涛", "杭州分公司", FA.ACTIVE, -20, "13712340238"),
    FieldAgentSeed("FA100239", "林芳", "成都分公司", FA.ACTIVE, 600, "13712340239"),
    FieldAgentSeed("FA100240", "何军", "武汉分公司", FA.ACTIVE, 150, "13712340240"),
    FieldAgentSeed("FA100241", "高敏", "南京分公司", FA.ACTIVE, 90, "13712340241"),
)
