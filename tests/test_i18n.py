"""The Simplified Chinese translation: the catalogue is complete and sound, and the
pages switch language by the django_language cookie and the language switcher."""

from __future__ import annotations

import ast
import json
import re
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.urls import reverse

from accounts.models import RoleAssignment
from surveys.links import link_issue, link_path
from surveys.models import Instrument, Unit
from surveys.selectors import audit_layout
from surveys.services import audit_create, response_submit

PO_PATH = Path(settings.BASE_DIR) / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
MO_PATH = PO_PATH.with_suffix(".mo")
# %(name)s, %s, %d, %%… as Python's % operator reads them.
PLACEHOLDER = re.compile(r"%(?:\([^)]+\))?[-#0 +]*\d*(?:\.\d+)?[sdifr%]")
TAG = re.compile(r"</?[a-zA-Z][^>]*>")


def po_entries() -> list[dict]:
    """Every entry of the catalogue: msgid, msgid_plural, msgstr (list), flags, obsolete."""
    entries: list[dict] = []
    for block in PO_PATH.read_text(encoding="utf-8").split("\n\n"):
        lines = [line for line in block.strip().splitlines() if line]
        if not lines:
            continue
        entry: dict = {"flags": set(), "msgstr": [], "obsolete": all(line.startswith("#~") for line in lines)}
        fields: dict[str, str] = {}
        key = None
        for line in lines:
            if line.startswith("#,"):
                entry["flags"].update(flag.strip() for flag in line[2:].split(","))
                continue
            if line.startswith("#"):
                continue
            match = re.match(r'^(msgctxt|msgid_plural|msgid|msgstr(?:\[\d+\])?) (".*")$', line)
            if match:
                key = match.group(1)
                fields[key] = ast.literal_eval(match.group(2))
            else:
                fields[key] += ast.literal_eval(line)
        if "msgid" not in fields:
            continue
        entry["msgid"] = fields["msgid"]
        entry["msgid_plural"] = fields.get("msgid_plural")
        entry["msgstr"] = [v for k, v in sorted(fields.items()) if k.startswith("msgstr")]
        entries.append(entry)
    return entries


def header() -> str:
    return next(e for e in po_entries() if e["msgid"] == "")["msgstr"][0]


def messages() -> list[dict]:
    return [e for e in po_entries() if e["msgid"] and not e["obsolete"]]


def placeholders(text: str) -> list[str]:
    return sorted(PLACEHOLDER.findall(text))


# ------------------------------------------------------------------ the catalogue
class TestCatalogue:
    def test_the_header_declares_chinese_utf8_and_one_plural_form(self):
        text = header()
        assert "Language: zh_Hans\n" in text
        assert "Plural-Forms: nplurals=1; plural=0;\n" in text
        assert "charset=UTF-8" in text
        assert "fuzzy" not in next(e for e in po_entries() if e["msgid"] == "")["flags"]

    def test_it_has_a_real_catalogue_and_its_compiled_file(self):
        assert len(messages()) > 200
        assert MO_PATH.exists()
        assert MO_PATH.stat().st_mtime >= PO_PATH.stat().st_mtime - 5, "run compilemessages"

    def test_every_entry_is_translated_and_none_is_fuzzy(self):
        untranslated = [e["msgid"] for e in messages() if not e["msgstr"] or not all(s.strip() for s in e["msgstr"])]
        fuzzy = [e["msgid"] for e in messages() if "fuzzy" in e["flags"]]
        assert untranslated == []
        assert fuzzy == []

    def test_plural_entries_have_exactly_one_form(self):
        plurals = [e for e in messages() if e["msgid_plural"]]
        assert plurals
        for entry in plurals:
            assert len(entry["msgstr"]) == 1, entry["msgid"]

    def test_every_translation_keeps_its_placeholders_and_tags(self):
        for entry in messages():
            for translation in entry["msgstr"]:
                source = entry["msgid_plural"] or entry["msgid"]
                assert placeholders(translation) == placeholders(source), entry["msgid"]
                assert sorted(TAG.findall(translation)) == sorted(TAG.findall(source)), entry["msgid"]

    def test_translations_are_chinese(self):
        latin_only = [
            e["msgid"] for e in messages()
            if not any(re.search(r"[\u4e00-\u9fff]", s) for s in e["msgstr"])
        ]
        # Only names that stay the same in Chinese.
        assert set(latin_only) <= {"API"}


# ------------------------------------------------------------------ the pages
CHINESE = {"django_language": "zh-hans"}


@pytest.fixture
def units(db):
    chain = Unit.objects.create(code="chain", name="Chain")
    hall = Unit.objects.create(code="hall-1", name="Hall 1", parent=chain)
    return chain, hall


@pytest.fixture
def audit(units):
    return audit_create(slug="spring", title="Spring audit", units=[units[0]],
                        instrument=Instrument.objects.get(code="servqual"))


def make_user(email: str, role: str, unit: Unit | None = None):
    user = get_user_model().objects.create_user(username=email, email=email, password=None)
    RoleAssignment.objects.create(user=user, role=role, unit=unit)
    return user


@pytest.fixture
def client(client, db):
    """The staff pages need a signed-in user: an admin, who may open every page."""
    client.force_login(make_user("admin@example.com", "admin"))
    return client


@pytest.fixture
def zh_client(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    return client


@pytest.fixture
def zh_anonymous(db):
    from django.test import Client

    anonymous = Client()
    anonymous.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    return anonymous


def survey_url(audit, unit_code: str = "hall-1") -> str:
    unit = Unit.objects.filter(code=unit_code).first() or Unit.objects.create(code=unit_code, name=unit_code)
    return link_path(link_issue(audit=audit, unit=unit))


def html(response) -> str:
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.django_db
class TestPagesInChinese:
    def test_the_cookie_name_is_django_language(self):
        assert settings.LANGUAGE_COOKIE_NAME == "django_language"

    def test_the_audit_list(self, zh_client, audit):
        page = html(zh_client.get("/audits/"))
        assert '<html lang="zh-hans">' in page
        for text in ("测评", "新建测评", "量表", "管理后台", "仪表板", "问卷链接", "导入", "编辑", "双栏", "开放",
                     "链接标识", "答卷数", "操作"):
            assert text in page, text
        assert ">New audit<" not in page and ">Survey links<" not in page

    def test_the_empty_audit_list(self, zh_client, db):
        page = html(zh_client.get("/audits/"))
        assert "暂无测评" in page and "创建第一个测评" in page

    def test_the_audit_list_stays_english_without_the_cookie(self, client, audit):
        page = html(client.get("/audits/"))
        assert "New audit" in page and "新建测评" not in page

    def test_the_create_form(self, zh_client, units):
        page = html(zh_client.get(reverse("audit-create")))
        for text in ("新建测评", "创建测评", "取消", "最小样本量", "双栏（期望、感知）", "留空则根据标题自动生成"):
            assert text in page, text

    def test_the_survey_page(self, zh_client, audit):
        page = html(zh_client.get(survey_url(audit)))
        for text in ("作答说明", "请对每条陈述给出两项评分：", "无法评价", "本次服务", "哪些方面对您最重要？",
                     "提交我的答案", "22 道简短问题", 'data-sending="正在提交…"',
                     # the instrument's own Chinese wording
                     "有形性", "可靠性"):
            assert text in page, text
        assert "How to answer" not in page and "Send my answers" not in page

    def test_survey_errors_are_chinese(self, zh_client, audit):
        data = {"submission_id": str(uuid.uuid4()), "W_tangibles": "50", "W_reliability": "10"}
        page = html(zh_client.post(survey_url(audit), data))
        assert "部分答案需要您留意" in page
        assert "点数之和必须正好等于 100" in page

    def test_the_thanks_page(self, zh_client, audit):
        page = html(zh_client.get(survey_url(audit) + "thanks/"))
        assert "谢谢您！" in page and "您的答案已记录。" in page

    def test_the_missing_survey_page(self, zh_client, audit):
        response = zh_client.get(survey_url(audit, "nowhere"))  # a link whose unit is not in the audit
        assert response.status_code == 404
        assert "我们找不到此问卷" in response.content.decode()

    def test_the_links_and_import_pages(self, zh_client, audit):
        links = html(zh_client.get(reverse("audit-links", args=[audit.slug])))
        assert "“Spring audit”的问卷链接" in links and "公开问卷链接" in links
        page = html(zh_client.get(reverse("audit-import", args=[audit.slug])))
        assert "将答卷导入“Spring audit”" in page and "<code>submission_id</code>" in page

    def test_the_instruments_page(self, zh_client, db):
        page = html(zh_client.get(reverse("instrument-list")))
        assert "导入量表" in page and "导出 JSON" in page and "SERVQUAL 服务质量量表（22 项）" in page

    def test_the_empty_dashboard(self, zh_client, audit):
        page = html(zh_client.get(f"/audits/{audit.slug}/dashboard/"))
        assert "重新计算" in page
        assert "暂无结果" in page
        assert 'data-working="正在重新计算…"' in page

    def test_the_dashboard_with_results(self, zh_client, units, celery_eager, django_capture_on_commit_callbacks):
        with django_capture_on_commit_callbacks(execute=True):
            audit = audit_create(slug="autumn", title="Autumn audit", units=[units[0]],
                                 instrument=Instrument.objects.get(code="servqual"))
            layout = audit_layout(audit=audit)
            for perception in (3, 4, 5, 6, 5, 4):
                response_submit(
                    audit=audit, submission_id=uuid.uuid4(), unit_code="hall-1",
                    answers={code: {"expectation": 6, "perception": perception} for code in layout.item_codes},
                    importance={"tangibles": 10, "reliability": 30, "responsiveness": 20, "assurance": 20,
                                "empathy": 20},
                )
        page = html(zh_client.get(f"/audits/{audit.slug}/dashboard/"))
        for text in ("SERVQUAL 得分（未加权）", "加权得分（按重要性）", "6 份答卷", "全部统计数据",
                     "95% 置信区间", "克朗巴赫 α", "各维度的期望与感知", "重要性–绩效分析",
                     "可容忍区间需要三栏式测评", "差距 = 感知 − 期望", "有形性"):
            assert text in page, text
        assert "Every figure" not in page and "Recompute" not in page
        ipa = re.search(r'<script id="chart-ipa-data" type="application/json">(.*?)</script>', page, re.S)
        figure = json.loads(ipa.group(1))
        assert figure["layout"]["title"]["text"] == "重要性–绩效分析"
        assert {a["text"] for a in figure["layout"]["annotations"]} == {"重点改进区", "继续保持区", "可能过度投入区",
                                                                         "次要改进区"}


@pytest.mark.django_db
class TestProviderAndAccountPagesInChinese:
    """The five-gap pages, the provider-side inputs and the account pages (empty audit)."""

    def test_the_audit_nav(self, zh_client, audit):
        page = html(zh_client.get(f"/audits/{audit.slug}/dashboard/"))
        for text in ("仪表板", "五差距", "管理者认知", "标准", "承诺", "交付证据", "管理者问卷", "自评", "新建检查",
                     "问卷链接", "导入/导出", "测评“Spring audit”的页面"):
            assert text in page, text
        assert ">Five gaps<" not in page and ">Manager survey<" not in page

    def test_the_five_gaps_page(self, zh_client, audit):
        page = html(zh_client.get(f"/audits/{audit.slug}/gaps/"))
        for text in ("差距模型", "认知差距", "标准差距", "交付差距", "沟通差距", "顾客差距", "期望的服务", "感知的服务",
                     "服务交付", "服务质量标准", "题项 × 差距矩阵", "颜色图例", "无不足（≥ 0）"):
            assert text in page, text
        assert "The knowledge gap" not in page and "Expected service" not in page

    def test_a_gap_detail_page(self, zh_client, audit):
        page = html(zh_client.get(f"/audits/{audit.slug}/gaps/1/"))
        for text in ("认知差距", "管理者认为的顾客期望 − 顾客期望", "来自管理者问卷和顾客期望", "负差距表示不足"):
            assert text in page, text

    def test_the_provider_input_pages(self, zh_client, audit):
        pages = {
            "beliefs": ("管理者认知（差距 1）", "尚无管理者作答", "打开管理者问卷"),
            "standards": ("质量标准（差距 2）", "覆盖情况", "添加或修改标准", "保存标准",
                          "例如：排队等候不超过 10 分钟"),
            "promises": ("承诺登记表（差距 4）", "登记承诺", "尚未登记任何承诺"),
            "manager-survey": ("您的顾客期望什么？", "哪些方面对您的顾客最重要？", "保存我的答案"),
            "self-assessment/": ("您的服务单元", "请先选择您的服务单元"),
            "inspections/new": ("新建检查", "只勾选“未通过”的检查项"),
            "evidence": ("交付证据", "暂无交付证据", "开始自评", "记录一次检查"),
        }
        for path, texts in pages.items():
            page = html(zh_client.get(f"/audits/{audit.slug}/{path.rstrip('/')}/"))
            for text in texts:
                assert text in page, (path, text)

    def test_the_scorecards_people_settings_and_log_pages(self, zh_client, db):
        for url, texts in {
            "/scorecards/": ("评分表", "检查评分表列出针对某一类服务接触的检查项", "在管理后台编辑"),
            "/people/": ("人员", "邀请人员", "发送邀请", "管理员"),
            "/account/": ("账户设置", "当前登录账号：admin@example.com。", "更改密码", "创建令牌", "您没有 API 令牌。"),
            "/audit-log/": ("审计日志", "筛选", "暂无记录。"),
        }.items():
            page = html(zh_client.get(url))
            for text in texts:
                assert text in page, (url, text)

    def test_the_sign_in_page(self, zh_anonymous):
        page = html(zh_anonymous.get(reverse("login")))
        for text in ("登录", "电子邮箱", "忘记密码？", "顾客通过问卷链接作答，无需账户。"):
            assert text in page, text

    def test_the_forbidden_page(self, zh_anonymous, audit, units):
        zh_anonymous.force_login(make_user("staff@example.com", "staff", units[1]))
        response = zh_anonymous.get(f"/audits/{audit.slug}/dashboard/")
        assert response.status_code == 403
        assert "您的角色无权访问此页面" in response.content.decode()

    def test_a_withdrawn_survey_link(self, zh_client, audit):
        url = survey_url(audit)
        zh_client.post(reverse("audit-link-revoke", args=[audit.slug, "hall-1"]))
        page = zh_client.get(url).content.decode()
        assert "此问卷链接已被撤回" in page


# ------------------------------------------------------------------ the switcher
@pytest.mark.django_db
class TestLanguageSwitcher:
    def test_it_posts_to_setlang_with_both_languages(self, client, audit):
        page = html(client.get("/audits/"))
        form = re.search(r'<form class="lang-switch" action="([^"]+)" method="post">(.*?)</form>', page, re.S)
        assert form and form.group(1) == "/i18n/setlang/"
        assert 'value="zh-hans"' in form.group(2) and 'value="en"' in form.group(2)
        assert 'name="next" type="hidden" value="/audits/"' in form.group(2)

    def test_choosing_chinese_sets_the_cookie_and_redirects_back(self, client, audit):
        response = client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/audits/"})
        assert response.status_code == 302 and response["Location"] == "/audits/"
        assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "zh-hans"
        assert "新建测评" in html(client.get("/audits/"))
        client.post("/i18n/setlang/", {"language": "en", "next": "/audits/"})
        assert "New audit" in html(client.get("/audits/"))

    def test_the_public_survey_page_has_the_switcher_too(self, zh_client, audit):
        page = html(zh_client.get(survey_url(audit)))
        assert 'action="/i18n/setlang/"' in page
        assert '<option value="zh-hans" selected>简体中文</option>' in page
