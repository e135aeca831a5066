"""Event dates: explicit, month, year and relative, each at the precision the text gives."""
from __future__ import annotations

import pytest


@pytest.mark.parametrize("summary,published,date", [
    ("宝马与长城汽车2018年7月10日签署合资协议。", "2018-07-20", "2018-07-10"),
    ("宝马与长城汽车5月4日签署合资协议。", "2024-06-20", "2024-05-04"),
    ("宝马与长城汽车10日签署合资协议。", "2024-06-20", "2024-06-10"),
    ("BMW and Great Wall signed a joint venture agreement on May 6.", "2024-06-20", "2024-05-06"),
    ("BMW and Great Wall signed a joint venture agreement on 6 May 2023.", "2024-06-20", "2023-05-06"),
    ("宝马与长城汽车2024年5月签署合资协议。", "2024-06-20", "2024-05"),
    ("BMW and Great Wall signed a joint venture agreement in March.", "2024-06-20", "2024-03"),
    ("宝马与长城汽车2023年签署合资协议。", "2024-06-20", "2023"),
    ("BMW and Great Wall signed a joint venture agreement in 2019.", "2024-06-20", "2019"),
])
def test_explicit_dates(summary, published, date, one_deal):
    assert one_deal("", summary, published).date == date


@pytest.mark.parametrize("summary,published,date", [
    ("宝马与长城汽车上个月签署合资协议。", "2024-01-15", "2023-12"),
    ("宝马与长城汽车去年签署合资协议。", "2024-01-15", "2023"),
    ("BMW and Great Wall last week signed a joint venture agreement.", "2024-11-28", "2024-11"),
    ("BMW and Great Wall signed a joint venture agreement last month.", "2024-03-05", "2024-02"),
    ("BMW and Great Wall signed a joint venture agreement on Tuesday.", "2025-05-07", "2025-05-06"),
    ("BMW and Great Wall signed a joint venture agreement on Friday.", "2025-05-07", "2025-05-02"),
    ("宝马与长城汽车昨日签署合资协议。", "2024-03-01", "2024-02-29"),
])
def test_relative_dates_resolve_against_publication(summary, published, date, one_deal):
    assert one_deal("", summary, published).date == date


def test_offset_counts_from_the_date_it_follows(one_deal):
    deal = one_deal("", "今年5月，上汽与宁德时代宣布扩大合作；六个月后，双方合资的电池工厂正式投产。", "2025-11-03")
    assert (deal.stage, deal.date) == ("production", "2025-11")


def test_english_offset_counts_from_the_date_it_follows(one_deal):
    deal = one_deal("", "SAIC and CATL expanded their cooperation in March 2024. Six months later, the joint venture plant started production.", "2025-01-10")
    assert (deal.stage, deal.date) == ("production", "2024-09")


@pytest.mark.parametrize("summary", [
    "宝马与长城汽车签署合资协议。",
    "BMW and Great Wall extended their joint venture to 2040.",
    "BMW and Great Wall signed a joint venture agreement that runs from September.",
    "宝马与长城汽车签署合资协议，合资期限延长至2041年。",
    "宝马与长城汽车签署合资协议，新车明年上市。",
    "BMW and Great Wall agreed to jointly build cars in 2026.",
])
def test_no_event_date_gives_none(summary, one_deal):
    assert one_deal("", summary, "2024-06-20").date is None


def _article_deal(title: str, paragraphs: list[str], published: str):
    """The single applied deal of a full article (headline, paragraphs)."""
    from feeds.extract import extract
    deals = [d for d in extract({"id": "t", "published": published, "title": title, "summary": "",
                                 "content": "\n\n".join(paragraphs)}) if d.confidence >= 0.6]
    assert len(deals) == 1, deals
    return deals[0]


_BODY_ZH = "两家公司各持股一半，新公司将在沈阳生产电动车。"
_BODY_EN = "The two companies will each own half of the new company, which will build electric cars in Shenyang."


@pytest.mark.parametrize("lead,published,date", [
    ("本报沈阳3月12日电 宝马与长城汽车3月10日签署合资协议，成立一家电动车公司。", "2025-03-12", "2025-03-10"),
    ("新华社北京3月12日电（记者 王一）宝马与长城汽车签署合资协议，成立一家电动车公司。", "2025-03-12", None),
    ("MUNICH, March 12 - BMW and Great Wall signed a joint venture agreement on Monday.", "2025-03-12", "2025-03-10"),
    ("MUNICH, March 12 (Reuters) - BMW and Great Wall signed a joint venture agreement.", "2025-03-12", None),
    ("MUNICH/SHENYANG, March 12 - BMW and Great Wall signed a joint venture agreement.", "2025-03-12", None),
])
def test_the_dateline_is_when_the_story_was_filed_not_when_the_act_happened(lead, published, date):
    body = _BODY_ZH if lead[0] in "本新" else _BODY_EN
    title = "宝马与长城汽车成立合资公司" if lead[0] in "本新" else "BMW and Great Wall form a joint venture"
    assert _article_deal(title, [lead, body], published).date == date


@pytest.mark.parametrize("summary,published,date", [
    ("宝马与长城汽车3月10日签署合资协议；同日，比亚迪发布新车。", "2025-03-12", "2025-03-10"),
    ("比亚迪3月10日发布新车，次日宝马与长城汽车签署合资协议。", "2025-03-12", "2025-03-11"),
    ("比亚迪3月10日发布新车，前一天宝马与长城汽车签署合资协议。", "2025-03-12", "2025-03-09"),
    ("BYD launched a car on March 10; the next day, BMW and Great Wall signed a joint venture agreement.",
     "2025-03-12", "2025-03-11"),
    ("BYD launched a car on March 10; on the same day BMW and Great Wall signed a joint venture agreement.",
     "2025-03-12", "2025-03-10"),
    ("比亚迪去年发布新车。次日，宝马与长城汽车签署合资协议。", "2025-03-12", None),
    ("BYD launched a car last month. The next day, BMW and Great Wall signed a joint venture agreement.", "2025-03-12",
     None),
])
def test_same_next_and_previous_day_count_from_the_day_before_them(summary, published, date, one_deal):
    assert one_deal("", summary, published).date == date


@pytest.mark.parametrize("lead", [
    "东风3月18日与Momenta签署合资协议，东风还与华为签署深化合作协议。",
    "东风3月18日与Momenta签署合资协议；东风还与华为签署深化合作协议。",
])
def test_a_clause_without_a_date_takes_the_date_its_sentence_gave_before_it(lead):
    from feeds.extract import extract
    deals = {d.parties: d.date for d in extract({"id": "t", "published": "2025-03-20", "title": "东风与两家企业签约",
                                                  "summary": "", "content": lead + "\n\n" + _BODY_ZH})}
    assert deals[("Dongfeng", "Huawei")] == deals[("Dongfeng", "Momenta")] == "2025-03-18"


@pytest.mark.parametrize("paragraphs,date", [
    (["宝马与长城汽车上周签署合资协议。", "宝马与长城汽车3月6日在沈阳签署了这份合资协议。"], "2025-03-06"),
    (["BMW and Great Wall signed a joint venture agreement earlier this month.",
      "BMW and Great Wall signed the joint venture agreement on March 6 in Shenyang."], "2025-03-06"),
    (["BMW and Great Wall signed a joint venture agreement earlier this month, the companies said on Monday.",
      _BODY_EN], "2025-03"),
])
def test_a_month_or_week_is_made_precise_only_by_a_calendar_day_of_the_same_act(paragraphs, date):
    title = "宝马与长城汽车签署合资协议" if paragraphs[0][0] == "宝" else "BMW and Great Wall sign a joint venture deal"
    assert _article_deal(title, paragraphs, "2025-03-12").date == date


@pytest.mark.parametrize("title,summary,lead,published,date", [
    ("GM and Hyundai to co-develop five vehicles for the Americas",
     "General Motors and Hyundai Motor will jointly develop four cars for South America and an electric van.",
     "General Motors and Hyundai said on Wednesday that they will jointly develop five vehicles, the first products "
     "of an alliance the two carmakers began exploring last year.", "2025-08-07", "2025-08-06"),
    ("上汽与Momenta合资公司正式成立", "", "上汽集团与Momenta合资成立的智驾公司已于2月9日完成工商登记，注册资本10亿元。",
     "2026-02-11", "2026-02-09"),
])
def test_a_lead_sentence_naming_the_parties_dates_the_act_when_no_sentence_of_the_act_does(title, summary, lead,
                                                                                          published, date):
    from feeds.extract import extract
    body = _BODY_ZH if lead[0] == "上" else "The cars will be sold under each company's own brands."
    deals = extract({"id": "t", "published": published, "title": title, "summary": summary,
                     "content": lead + "\n\n" + body})
    assert [d.date for d in deals] == [date]


@pytest.mark.parametrize("summary,date", [
    ("BMW and Great Wall completed their joint venture deal at the end of October.", "2025-10"),
    ("BMW and Great Wall signed a joint venture agreement to build cars by the end of October.", None),
])
def test_by_the_end_of_a_month_bounds_a_plan_and_at_the_end_of_dates_an_act(summary, date, one_deal):
    assert one_deal("", summary, "2025-11-03").date == date


@pytest.mark.parametrize("title,lead,published,date", [
    ("GM sells its stake in Wuling venture to SAIC", "General Motors has sold its stake in its minicar joint venture with "
     "SAIC Motor, GM said in a statement on Monday. The transaction closed at the end of October.", "2026-11-03", "2026-10"),
    ("长安完成入股华为旗下公司", "长安汽车1月12日晚间发布公告，长安与华为已于1月10日完成股权交割，长安持股10%。", "2025-01-13",
     "2025-01-10"),
    ("长安完成入股华为旗下公司", "长安汽车与华为1月12日晚间发布公告，双方已于1月完成股权交割。", "2025-01-13", "2025-01-12"),
    ("GM exits minicar venture with SAIC", "General Motors has exited its minicar joint venture with SAIC Motor, GM said "
     "in a statement on Monday, with the sale of its stake to SAIC taking effect on October 30.", "2025-11-03",
     "2025-10-30"),
])
def test_the_day_an_act_was_announced_gives_way_to_an_earlier_date_of_the_act(title, lead, published, date):
    body = _BODY_ZH if lead[0] == "长" else _BODY_EN
    assert _article_deal(title, [lead, body], published).date == date
