"""The default instrument: SERVQUAL's 22 items in 5 dimensions (METHOD.md §1).

The content lives here, not in application code, so this migration creates the
same instrument forever, whatever later code does.
"""

from django.db import migrations

LANGUAGES = ["en", "zh-hans"]
NAME = {"en": "SERVQUAL (22 items)", "zh-hans": "SERVQUAL 服务质量量表（22 项）"}

# (code, {language: name}, [(item code, {language: text}), ...])
DIMENSIONS = [
    ("tangibles", {"en": "Tangibles", "zh-hans": "有形性"}, [
        ("TAN1", {"en": "The service provider has modern-looking equipment.",
                  "zh-hans": "该服务机构拥有现代化的设备。"}),
        ("TAN2", {"en": "The service provider's physical facilities are visually appealing.",
                  "zh-hans": "该服务机构的实体设施外观美观、吸引人。"}),
        ("TAN3", {"en": "Staff are neat and professional in appearance.",
                  "zh-hans": "员工衣着整洁，仪表专业。"}),
        ("TAN4", {"en": "Materials associated with the service (such as pamphlets or statements) "
                        "are visually appealing.",
                  "zh-hans": "与服务相关的资料（如宣传册或对账单）美观悦目。"}),
    ]),
    ("reliability", {"en": "Reliability", "zh-hans": "可靠性"}, [
        ("REL1", {"en": "When the service provider promises to do something by a certain time, it does so.",
                  "zh-hans": "该服务机构承诺在某个时间之前完成的事，都能按时做到。"}),
        ("REL2", {"en": "When you have a problem, the service provider shows a sincere interest "
                        "in solving it.",
                  "zh-hans": "当您遇到问题时，该服务机构会真诚地关心并设法解决。"}),
        ("REL3", {"en": "The service provider performs the service right the first time.",
                  "zh-hans": "该服务机构第一次就能把服务做好。"}),
        ("REL4", {"en": "The service provider provides its services at the time it promises to do so.",
                  "zh-hans": "该服务机构在承诺的时间提供服务。"}),
        ("REL5", {"en": "The service provider keeps error-free records.",
                  "zh-hans": "该服务机构的记录准确无误。"}),
    ]),
    ("responsiveness", {"en": "Responsiveness", "zh-hans": "响应性"}, [
        ("RES1", {"en": "Staff tell you exactly when services will be performed.",
                  "zh-hans": "员工会确切告诉您何时提供服务。"}),
        ("RES2", {"en": "Staff give you prompt service.",
                  "zh-hans": "员工为您提供迅速及时的服务。"}),
        ("RES3", {"en": "Staff are always willing to help you.",
                  "zh-hans": "员工总是乐于帮助您。"}),
        ("RES4", {"en": "Staff are never too busy to respond to your requests.",
                  "zh-hans": "员工从不会因为太忙而无暇回应您的要求。"}),
    ]),
    ("assurance", {"en": "Assurance", "zh-hans": "保证性"}, [
        ("ASS1", {"en": "The behaviour of staff instils confidence in you.",
                  "zh-hans": "员工的言行举止让您感到信赖。"}),
        ("ASS2", {"en": "You feel safe in your transactions with the service provider.",
                  "zh-hans": "您在与该服务机构办理业务时感到安全放心。"}),
        ("ASS3", {"en": "Staff are consistently courteous with you.",
                  "zh-hans": "员工始终对您以礼相待。"}),
        ("ASS4", {"en": "Staff have the knowledge to answer your questions.",
                  "zh-hans": "员工具备回答您问题所需的专业知识。"}),
    ]),
    ("empathy", {"en": "Empathy", "zh-hans": "移情性"}, [
        ("EMP1", {"en": "The service provider gives you individual attention.",
                  "zh-hans": "该服务机构给予您个别的关注。"}),
        ("EMP2", {"en": "The service provider has operating hours convenient to all its customers.",
                  "zh-hans": "该服务机构的营业时间对所有顾客都很方便。"}),
        ("EMP3", {"en": "Staff give you personal attention.",
                  "zh-hans": "员工给予您个人化的关怀。"}),
        ("EMP4", {"en": "The service provider has your best interests at heart.",
                  "zh-hans": "该服务机构真心把您的利益放在心上。"}),
        ("EMP5", {"en": "Staff understand your specific needs.",
                  "zh-hans": "员工了解您的具体需求。"}),
    ]),
]


def create_servqual(apps, schema_editor):
    Instrument = apps.get_model("surveys", "Instrument")
    Dimension = apps.get_model("surveys", "Dimension")
    Item = apps.get_model("surveys", "Item")
    db = schema_editor.connection.alias
    if Instrument.objects.using(db).filter(code="servqual").exists():
        return
    instrument = Instrument.objects.using(db).create(code="servqual", name=NAME, languages=LANGUAGES)
    # Positions start at 1, as surveys.instruments.instrument_import numbers them.
    for d_position, (d_code, d_name, items) in enumerate(DIMENSIONS, start=1):
        dimension = Dimension.objects.using(db).create(
            instrument=instrument, code=d_code, name=d_name, position=d_position
        )
        Item.objects.using(db).bulk_create(
            Item(instrument=instrument, dimension=dimension, code=code, text=text, position=position)
            for position, (code, text) in enumerate(items, start=1)
        )


def delete_servqual(apps, schema_editor):
    Instrument = apps.get_model("surveys", "Instrument")
    db = schema_editor.connection.alias
    Instrument.objects.using(db).filter(code="servqual").delete()


class Migration(migrations.Migration):

    dependencies = [("surveys", "0001_initial")]

    operations = [migrations.RunPython(create_servqual, delete_servqual)]
