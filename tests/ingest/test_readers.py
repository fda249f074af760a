"""Pure text rules: decoding, pinyin, GBK-shift repair, furniture, metadata (no database)."""

import datetime as dt

import pytest

from archive.ingest.decode import RejectedFile, decode_bytes, read_limited
from archive.ingest.furniture import clean_lines
from archive.ingest.metadata import ascii_slug, detect_language, parse_any_date, parse_text_date
from archive.ingest.readers import parse_article_text, parse_front_matter
from archive.ingest.repair import remove_glued_pinyin, repair_gbk_shift
from tests.conftest import SEEDS_DIR

SHANGHAI = dt.timezone(dt.timedelta(hours=8))


@pytest.mark.parametrize(
    "text",
    ["中文新闻报道", "中华人民共和国国务院新闻办公室今天举行发布会，介绍稀土产业发展情况。" * 20],
)
def test_decode_gbk_round_trip(text):
    assert decode_bytes(text.encode("gbk"))[0] == text


@pytest.mark.parametrize(
    "text", ["中華民國新聞", "臺灣衛生福利部今日表示，國內疫情趨緩，民眾仍應注意個人衛生。" * 20]
)
def test_decode_big5_round_trip(text):
    assert decode_bytes(text.encode("big5"))[0] == text


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "utf-16-be"])
def test_decode_unicode_round_trip(encoding):
    text = "標題 Title\n稀土永磁 rare earth magnets"
    assert decode_bytes(text.encode(encoding))[0] == text


@pytest.mark.parametrize(
    "data, reason",
    [
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 40, "binary"),
        (b"title\n\x00\x00body text", "binary"),
        (b"%PDF-1.7 stuff", "binary"),
        (b"plain \x80\x80\x80 text " * 3, "undecodable"),
    ],
)
def test_decode_rejects_binary_and_garbage(data, reason):
    with pytest.raises(RejectedFile, match=reason):
        decode_bytes(data)


def test_read_limited_rejects_empty_and_oversized(tmp_path):
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    with pytest.raises(RejectedFile, match="empty"):
        read_limited(empty, max_bytes=100)
    big = tmp_path / "big.txt"
    big.write_bytes(b"x" * 101)
    with pytest.raises(RejectedFile, match="too large"):
        read_limited(big, max_bytes=100)


def test_pinyin_removed_only_where_it_is_a_reading():
    text = "內(nèi)蒙古包頭稀土高新區(qū):“兩個(gè)稀土基地”(張海芳) 稀土(RE) 年份(2024) 行(háng)業 長(zhǎng)"
    fixed, count = remove_glued_pinyin(text)
    assert fixed == "內蒙古包頭稀土高新區:“兩個稀土基地”(張海芳) 稀土(RE) 年份(2024) 行業 長"
    assert count == 5


def test_pinyin_kept_when_not_a_reading_of_the_character_before():
    assert remove_glued_pinyin("包(nèi)頭")[0] == "包(nèi)頭"


def _lose_first_byte(text: str) -> str:
    """GBK bytes whose first byte was lost and replaced by an undecodable one, then decoded."""
    return (b"\xff" + text.encode("gbk")[1:]).decode("gbk", errors="replace")


def test_gbk_shift_repair_recovers_text_after_lost_byte():
    damaged = _lose_first_byte("。”蘇權說")
    assert damaged == "\ufffd！碧K權說"
    fixed, notes = repair_gbk_shift(damaged)
    assert fixed == "”蘇權說"
    assert notes and "repaired" in notes[0]


def test_gbk_shift_repair_handles_halfwidth_punctuation_and_pinyin_hint():
    # As in seed 004: full-width punctuation was later folded to ASCII, and the pinyin
    # glued after a lost character tells which character it was.
    damaged = "\ufffd!贝汗\ufffd(jié)期間"
    fixed, _ = repair_gbk_shift(damaged)
    assert remove_glued_pinyin(fixed)[0] == "”春節期間"


def test_gbk_shift_repair_leaves_unrepairable_damage_and_says_so():
    fixed, notes = repair_gbk_shift("abc\ufffd\ufffd def")
    assert "\ufffd" in fixed
    assert any("unrepaired" in note for note in notes)


def test_gbk_shift_repair_changes_no_other_seed():
    for path in sorted(SEEDS_DIR.iterdir()):
        text = path.read_text(encoding="utf-8")
        if "\ufffd" in text:
            continue
        assert repair_gbk_shift(text) == (text, [])


def test_clean_lines_removes_furniture_and_keeps_metadata():
    cleaned = clean_lines(
        [
            "第一段正文。",
            "责任编辑：王五",
            "【版权及免责声明】凡本网所属版权作品……",
            "扫码关注公众号",
            "转自:某某日报",
            "第二段正文。",
            "热点新闻",
            "不相关的标题一",
        ]
    )
    assert cleaned.paragraphs == ["第一段正文。", "第二段正文。"]
    assert cleaned.editors == ["王五"]
    assert cleaned.original_source == "某某日报"


def test_clean_lines_traditional_headings_cut_like_simplified():
    cleaned = clean_lines(["正文。", "延伸閱讀", "別的新聞"])
    assert cleaned.paragraphs == ["正文。"]


def test_dates_rfc2822_local_and_day_only():
    assert parse_any_date("Mon, 13 Dec 2021 05:05:24 GMT") == (
        dt.datetime(2021, 12, 13, 5, 5, 24, tzinfo=dt.UTC),
        "minute",
    )
    moment, precision = parse_text_date("2025-03-11 01:11:43")
    assert moment == dt.datetime(2025, 3, 11, 1, 11, 43, tzinfo=SHANGHAI) and precision == "minute"
    day, precision = parse_text_date("中國產業經濟信息網   時間:2024-05-05")
    assert day.astimezone(SHANGHAI).date() == dt.date(2024, 5, 5) and precision == "day"
    assert parse_text_date("2024-02-30") == (None, "")
    assert parse_any_date("yesterday") == (None, "")
    assert parse_any_date(False) == (None, "")


def test_detect_language():
    assert detect_language("稀土产业转型升级成效明显") == "zh-Hans"
    assert detect_language("稀土產業轉型升級成效明顯") == "zh-Hant"
    assert detect_language("Rare earth industry upgrades") == "en"


def test_ascii_slug_spells_chinese_in_pinyin():
    assert ascii_slug("中国工业报") == "zhong-guo-gong-ye-bao"
    assert ascii_slug("The Guardian") == "the-guardian"


def test_front_matter_broken_yaml_and_bad_date_are_rejected_with_reason():
    with pytest.raises(RejectedFile, match="broken front matter"):
        parse_front_matter("---\ntitle: [x\n---\n<p>body</p>")
    with pytest.raises(RejectedFile, match="front matter"):
        parse_front_matter("---\ntitle: x\ndate: 2024-02-30\n---\n<p>body</p>")


def test_front_matter_unquoted_no_and_naive_date():
    article = parse_article_text(
        "---\ntitle: 标题\ndate: 2024-01-01\npublished: no\n---\n<p>正文内容。</p>"
    )
    assert article.published_at == dt.datetime(2024, 1, 1, tzinfo=SHANGHAI)
    assert article.date_precision == "day"


def test_html_body_never_keeps_markup():
    article = parse_article_text(
        "---\ntitle: '<script>alert(1)</script>标题'\nurl: 'javascript:alert(1)'\n---\n"
        "<p>正文<script>alert(1)</script><img src=x onerror=alert(1)>"
        '<a href="javascript:alert(1)">链接</a><svg onload=alert(1)></svg>'
        "<iframe src=//evil></iframe></p><p>第二段。</p>"
    )
    assert "<" not in article.body and "onerror" not in article.body
    assert "javascript:" not in article.body
    assert article.url == ""


def test_plain_shape_with_site_and_day_date():
    text = "某地稀土項目開工\n\n中國產業經濟信息網   時間:2023-01-02\n\n  今年以來,項目建設加快推進。\n\n延伸閱讀\n\n別的"
    article = parse_article_text(text)
    assert article.title == "某地稀土項目開工"
    assert article.source_name == "中国产业经济信息网"
    assert article.date_precision == "day"
    assert article.body == "今年以來,項目建設加快推進。"
    assert article.language == "zh-Hant"


def test_plain_shape_with_user_timestamp_count_and_reporter_credit():
    text = (
        "某市发布稀土新政\n管理员\n2024-06-01 08:30:00\n12\n\n"
        "第一段内容，介绍了政策。\n\n第二段内容。(某某日报记者 李四)\n\n相关内容\n\n无关问答"
    )
    article = parse_article_text(text)
    assert article.title == "某市发布稀土新政"
    assert article.published_at == dt.datetime(2024, 6, 1, 8, 30, tzinfo=SHANGHAI)
    assert article.authors == ["李四"]
    assert article.source_name == "某某日报"
    assert "管理员" not in article.body and article.body.endswith("(某某日报记者 李四)")


def test_plain_shape_title_and_subtitle():
    article = parse_article_text(
        "主标题\n副标题在这里\n正文第一段，内容较长，讲述了事情的经过。\n第二段。"
    )
    assert (article.title, article.subtitle) == ("主标题", "副标题在这里")
    assert article.published_at is None and article.source_name == ""


def test_newswire_angle_brackets_are_not_html():
    from archive.ingest.furniture import looks_like_html

    assert not looks_like_html("<Asbestec Industries Inc> said it signed ... <P.W. Stephens> <P>")
    assert looks_like_html("<p>text</p>") and looks_like_html('<p class="x">text')
    assert looks_like_html("said. <h2>Heading<h2> Text")


def test_news_about_scanning_codes_is_not_a_promotion():
    cleaned = clean_lines(
        ["涉企行政检查“扫码入企”全面推行", "扫码关注公众号", "海量资讯、精准解读，尽在新浪财经APP"]
    )
    assert cleaned.paragraphs == ["涉企行政检查“扫码入企”全面推行"]


def test_decode_and_parse_never_crash_on_arbitrary_input():
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    texts = st.text(max_size=300)
    shapes = st.one_of(
        st.binary(max_size=300),
        texts.map(lambda t: t.encode("utf-8")),
        st.tuples(texts, texts).map(lambda p: f"---\n{p[0]}\n---\n<p>{p[1]}</p>".encode()),
        st.tuples(texts, texts).map(
            lambda p: f"标题\n{p[0]}\n2024-01-0{len(p[1]) % 9 + 1}\n{p[1]}".encode()
        ),
    )

    @settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(shapes)
    def check(data):
        try:
            text, _ = decode_bytes(data)
            parse_article_text(text)
        except RejectedFile:
            pass

    check()
