"""The five seed files load into five articles a reader would agree with."""

import datetime as dt

import pytest
from django.core.management import call_command

from archive.models import Article, IndexTask
from tests.conftest import SEEDS_DIR


def load(*paths, **options):
    call_command("load_seeds", *[str(p) for p in paths], "--no-index", verbosity=0, **options)


@pytest.fixture
def seeds(db):
    load(SEEDS_DIR)
    return {a.external_id: a for a in Article.objects.select_related("source")}


def seed(seeds, prefix):
    return next(a for key, a in seeds.items() if key.startswith(f"file:{prefix}"))


def test_load_seeds_five_articles(seeds):
    assert len(seeds) == 5


def test_seed_front_matter_html(seeds):
    article = seed(seeds, "000")
    assert article.title == "内蒙古：打造世界最大稀土交易中心，推动“稀交所”升级国家级交易所"
    assert article.published_at == dt.datetime(2021, 12, 13, 5, 5, 24, tzinfo=dt.UTC)
    assert article.date_precision == "minute"
    assert article.source.name == "新浪财经"
    assert article.language == "zh-Hans"
    assert article.editors == ["彭佳兵"]
    assert "彭强" in article.authors
    assert article.original_source == "21世纪经济报道"
    assert article.paragraphs[1].startswith("12月12日，包头市人民政府")
    assert article.paragraphs[-1].endswith("信息中心和服务中心。")
    for junk in ("<", "appendQr", "二维码", "责任编辑", "尽在新浪财经APP", "news_keyword"):
        assert junk not in article.body


def test_seed_plain_english(seeds):
    article = seed(seeds, "001")
    assert article.title.startswith("The rare earth industry in China is changing")
    assert article.language == "en"
    assert article.published_at is None
    assert article.source is None
    assert len(article.paragraphs) == 5


def test_seed_traditional_with_pinyin_and_site_furniture(seeds):
    article = seed(seeds, "002")
    assert article.title == "內蒙古包頭稀土高新區:“兩個稀土基地”主戰場征戰正酣"
    assert article.language == "zh-Hant"
    assert article.source.name == "中国产业经济信息网"
    assert article.published_at.astimezone(dt.timezone(dt.timedelta(hours=8))).date() == dt.date(
        2024, 5, 5
    )
    assert article.date_precision == "day"
    assert article.original_source == "中國高新技術產業導報"
    assert "(nèi)" not in article.body and "(qū)" not in article.body
    assert article.paragraphs[-1].endswith("稀土新材料項目15個以上。(張海芳)")
    for junk in ("版權", "延伸閱讀", "熱點", "ICP", "轉自"):
        assert junk not in article.body


def test_seed_username_timestamp_comment_count(seeds):
    article = seed(seeds, "003")
    assert article.title == "全国人大代表孟繁英:要进一步创建国家稀土技术创新中心"
    assert article.published_at == dt.datetime(2025, 3, 10, 17, 11, 43, tzinfo=dt.UTC)
    assert article.date_precision == "minute"
    assert article.source.name == "中国工业报"
    assert article.authors == ["孟凡君"]
    assert "创始人" not in article.authors and "创始人" not in article.body
    assert article.paragraphs[0].startswith("“稀土是我国重要的战略资源")
    assert article.paragraphs[-1].endswith("(中国工业报记者 孟凡君)")
    for junk in ("相关内容", "热门资讯", "柯南", "电动车是谁发明的"):
        assert junk not in article.body


def test_seed_title_subtitle_and_encoding_damage(seeds):
    article = seed(seeds, "004")
    assert article.title == "精準發力 提質升級"
    assert article.subtitle == "包頭推動“兩個稀土基地”建設煥新"
    assert article.language == "zh-Hant"
    assert article.published_at is None and article.source is None
    assert "”蘇權說" in article.body
    assert "”春節期間" in article.body
    assert "金力永磁(" in article.body
    assert "苯鹆" not in article.body and "碧K" not in article.body
    notes = " ".join(article.quality_notes)
    assert "repaired" in notes and "unrepaired" in notes


def test_load_seeds_second_run_changes_nothing(seeds):
    before = IndexTask.objects.count()
    load(SEEDS_DIR)
    assert Article.objects.count() == 5
    assert IndexTask.objects.count() == before
