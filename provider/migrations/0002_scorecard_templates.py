"""Two ready inspection scorecards (METHOD.md §6): a call-centre call quality check
and a service-hall visit. Each check evidences one SERVQUAL item (METHOD.md §1) and
deducts its points when it fails; each template's deductions total 100.

The content lives here, not in application code, so this migration creates the
same templates forever. An existing template with the same code is left alone.
"""

from django.db import migrations

# (code, name, description, [(check code, item code, deduction, {language: text}), ...])
TEMPLATES = [
    (
        "call-centre-call",
        {"en": "Call-centre call quality check", "zh-hans": "呼叫中心通话质检"},
        {"en": "A quality checker or supervisor listens to one recorded or live call and marks the checks "
               "the agent failed.",
         "zh-hans": "质检员或班组长抽听一通录音或实时通话，勾选坐席未达标的检查项。"},
        [
            ("greeting", "ASS3", 10,
             {"en": "Opening greeting: uses the standard greeting and gives their own name.",
              "zh-hans": "开场问候：使用标准问候语，并主动报出姓名或工号。"}),
            ("closing", "ASS3", 5,
             {"en": "Closing phrase: uses the standard closing and asks whether there is anything else.",
              "zh-hans": "结束语：使用标准结束语，并询问客户是否还有其他需要。"}),
            ("wording", "ASS1", 15,
             {"en": "Standard wording throughout: no casual or unprofessional language.",
              "zh-hans": "规范用语：全程使用规范服务用语，无随意、口语化或不文明的表达。"}),
            ("tone", "EMP3", 10,
             {"en": "Speech rate and tone: clear, at a moderate pace, friendly.",
              "zh-hans": "语速语调：吐字清晰，语速适中，语气亲切友好。"}),
            ("listening", "EMP5", 15,
             {"en": "Attentive and patient handling: listens fully and does not interrupt the customer.",
              "zh-hans": "耐心倾听：认真听完客户诉求，不打断、不催促客户。"}),
            ("answer-time", "RES2", 10,
             {"en": "The call was answered within 20 seconds.",
              "zh-hans": "来电在 20 秒内接起。"}),
            ("right-first", "REL3", 20,
             {"en": "Correct and complete information given the first time.",
              "zh-hans": "首次答复即准确完整，客户无需再次来电。"}),
            ("callback", "REL1", 15,
             {"en": "A promised call-back was made on time.",
              "zh-hans": "承诺的回电按时兑现。"}),
        ],
    ),
    (
        "service-hall-visit",
        {"en": "Service-hall visit", "zh-hans": "营业厅服务检查"},
        {"en": "A mystery shopper or a supervisor visits a service hall, completes one transaction and "
               "marks the checks that failed.",
         "zh-hans": "神秘顾客或督导到营业厅实地办理一笔业务，勾选未达标的检查项。"},
        [
            ("greeting", "ASS3", 10,
             {"en": "Greeted by a member of staff on arrival.",
              "zh-hans": "进门时有工作人员主动问候、迎接。"}),
            ("wait", "RES2", 20,
             {"en": "Waited no longer than the posted waiting-time standard.",
              "zh-hans": "等候时间未超过厅内公示的等候时限。"}),
            ("clean", "TAN2", 10,
             {"en": "Counter and waiting area clean and tidy.",
              "zh-hans": "柜台和等候区干净整洁。"}),
            ("uniform", "TAN3", 10,
             {"en": "Staff in uniform and wearing a name badge.",
              "zh-hans": "工作人员统一着装，佩戴工牌。"}),
            ("leaflets", "TAN4", 5,
             {"en": "Leaflets and forms available.",
              "zh-hans": "宣传资料和业务单据齐全，方便取用。"}),
            ("right-first", "REL3", 20,
             {"en": "The transaction was done right the first time.",
              "zh-hans": "业务一次办理正确，无差错、无返工。"}),
            ("next-steps", "RES1", 15,
             {"en": "Staff explained the next steps and when the service will happen.",
              "zh-hans": "工作人员讲清后续步骤以及业务何时办结。"}),
            ("queue-system", "TAN1", 10,
             {"en": "The queue-number machine and display were working.",
              "zh-hans": "排队叫号机和叫号屏运行正常。"}),
        ],
    ),
]


def create_templates(apps, schema_editor):
    Template = apps.get_model("provider", "ScorecardTemplate")
    Check = apps.get_model("provider", "ScorecardCheck")
    db = schema_editor.connection.alias
    for code, name, description, checks in TEMPLATES:
        if Template.objects.using(db).filter(code=code).exists():
            continue
        template = Template.objects.using(db).create(code=code, name=name, description=description)
        Check.objects.using(db).bulk_create(
            Check(template=template, code=c_code, item_code=item, deduction=deduction, text=text,
                  position=position)
            for position, (c_code, item, deduction, text) in enumerate(checks, start=1)
        )


def delete_templates(apps, schema_editor):
    Template = apps.get_model("provider", "ScorecardTemplate")
    Inspection = apps.get_model("provider", "Inspection")
    db = schema_editor.connection.alias
    codes = [t[0] for t in TEMPLATES]
    # Templates that inspections used stay (the inspections protect them).
    used = Inspection.objects.using(db).filter(template__code__in=codes).values_list("template__code", flat=True)
    Template.objects.using(db).filter(code__in=codes).exclude(code__in=list(used)).delete()


class Migration(migrations.Migration):

    dependencies = [("provider", "0001_initial")]

    operations = [migrations.RunPython(create_templates, delete_templates)]
