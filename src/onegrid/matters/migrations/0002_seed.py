"""Categories from the source documents and default deadline policies (administrators edit both)."""

from django.db import migrations

CATEGORIES = [
    ("livelihood", "民生服务", "Livelihood services", [
        ("water-power-gas", "水电气暖", "Water, power, gas and heating"),
        ("roads-transport", "道路交通", "Roads and transport"),
        ("property-housing", "物业住房", "Property management and housing"),
        ("elderly-help", "老人求助", "Help for elderly people"),
    ]),
    ("public-order", "治安隐患", "Public-order hazards", [
        ("public-order-nuisance", "扰乱秩序", "Disturbance of public order"),
        ("lost-person", "走失人员", "Lost person"),
        ("suspected-fraud", "疑似诈骗", "Suspected fraud"),
    ]),
    ("safety", "安全隐患", "Safety hazards", [
        ("manhole-cover", "井盖缺失破损", "Missing or broken manhole cover"),
        ("fire-hazard", "消防隐患", "Fire hazard"),
        ("road-waterlogging", "道路积水", "Road waterlogging"),
        ("building-hazard", "房屋及设施安全", "Unsafe building or structure"),
        ("gas-cylinder", "瓶装燃气安全", "Bottled gas safety"),
    ]),
    ("disputes", "矛盾纠纷", "Disputes", [
        ("neighbour-dispute", "邻里纠纷", "Neighbour dispute"),
        ("labour-dispute", "劳资纠纷", "Labour dispute"),
        ("family-dispute", "婚姻家庭纠纷", "Family dispute"),
    ]),
    ("health", "卫生健康", "Health", [
        ("epidemic-report", "疫情报告", "Epidemic report"),
        ("food-safety", "食品安全", "Food safety"),
    ]),
    ("policy", "政策咨询", "Policy enquiries", [
        ("social-security", "社会保障", "Social security"),
        ("household-registration", "户籍办理", "Household registration"),
        ("policy-other", "其他政策", "Other policy questions"),
    ]),
    ("city-appearance", "市容环境", "City appearance", [
        ("garbage", "垃圾清运", "Rubbish collection"),
        ("illegal-construction", "违章搭建", "Illegal construction"),
        ("street-vending", "占道经营", "Street vending"),
    ]),
    ("environment", "生态环境", "Environment", [
        ("water-pollution", "水体污染", "Water pollution"),
        ("air-pollution", "大气污染", "Air pollution"),
        ("noise", "噪声扰民", "Noise"),
    ]),
]

# (priority, stage, amount, unit); "" priority = any. Defaults after the published anchors (Beijing: ordinary
# matters 7 days, emergencies 2 h; sign for within 1 working day); administrators change them per category.
POLICIES = [
    ("", "register", 2, "working_hours"),
    ("", "dispatch", 2, "working_hours"),
    ("", "accept", 1, "working_days"),
    ("", "resolve", 7, "working_days"),
    ("low", "resolve", 15, "working_days"),
    ("high", "resolve", 3, "working_days"),
    ("", "verify", 2, "working_days"),
    ("", "close", 1, "working_days"),
    ("urgent", "register", 0.25, "natural_hours"),
    ("urgent", "dispatch", 0.25, "natural_hours"),
    ("urgent", "accept", 0.5, "natural_hours"),
    ("urgent", "resolve", 24, "natural_hours"),
]


def seed(apps, schema_editor):
    category = apps.get_model("matters", "Category")
    policy = apps.get_model("matters", "DeadlinePolicy")
    for position, (code, name, name_en, leaves) in enumerate(CATEGORIES):
        group, _ = category.objects.get_or_create(code=code, defaults={"name": name, "name_en": name_en,
                                                                       "position": position})
        for leaf_position, (leaf, leaf_name, leaf_en) in enumerate(leaves):
            category.objects.get_or_create(code=leaf, defaults={"name": leaf_name, "name_en": leaf_en,
                                                                "parent": group, "position": leaf_position})
    category.objects.filter(code__in=["lost-person", "gas-cylinder", "fire-hazard", "manhole-cover"]).update(
        default_priority="high")
    for priority, stage, amount, unit in POLICIES:
        policy.objects.get_or_create(category=None, priority=priority, stage=stage,
                                     defaults={"amount": amount, "unit": unit})


class Migration(migrations.Migration):
    dependencies = [("matters", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
