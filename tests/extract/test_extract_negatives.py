"""Items that mention two companies but report no deal."""
from __future__ import annotations

import pytest

from feeds.extract import extract


@pytest.mark.parametrize("category,title,summary", [
    ("denial", "小鹏否认与大众洽谈新一轮合作", "小鹏汽车表示，公司并未与大众汽车洽谈新的合作项目。"),
    ("denial", "Xiaomi denies report of stake talks with Great Wall", "Xiaomi said a report that it was negotiating to invest in Great Wall Motor was untrue."),
    ("denial", "Stellantis says no talks with Chery", "Stellantis is not negotiating with Chery."),
    ("denial", "Volkswagen visits Xiaomi", "Volkswagen executives visited Xiaomi last week, but the two have not signed any agreement."),
    ("speculation", "传大众与小米接洽合作", "据外媒报道，大众汽车正与小米接洽。"),
    ("speculation", "蔚来或将与长安展开合作", "市场人士称，蔚来有望与长安汽车合作。"),
    ("speculation", "Ford could license CATL technology", "Ford might expand its licensing deal with CATL, analysts say."),
    ("speculation", "GM is considering a partnership with Baidu", "General Motors is weighing a tie-up with Baidu, a report said."),
    ("ranking", "BYD overtakes Tesla as top seller", "BYD sold more electric cars than Tesla in the quarter."),
    ("ranking", "奔驰与宝马在华销量双双下滑", "梅赛德斯-奔驰和宝马今年上半年在华销量出现下滑。"),
    ("sales", "XPeng and Li Auto beat delivery forecasts", "XPeng and Li Auto delivered more cars than expected."),
    ("lawsuit", "长城汽车起诉比亚迪专利侵权", "长城汽车向法院起诉比亚迪。"),
    ("lawsuit", "Great Wall sues BYD over patents", "Great Wall Motor filed a lawsuit against BYD."),
    ("recall", "丰田召回广汽丰田生产的汽车", "丰田将召回部分车辆，涉及宁德时代供应的电池。"),
    ("recall", "Tesla recalls cars with CATL batteries", "Tesla will recall cars fitted with battery packs supplied by CATL."),
    ("executive", "前奔驰高管加盟理想汽车", "前梅赛德斯-奔驰中国高管将出任理想汽车高级副总裁。"),
    ("executive", "Nio appoints former BMW executive", "Nio appointed a former BMW China executive as president."),
    ("alone", "比亚迪成立海外事业群", "比亚迪宣布成立海外事业群，全面负责海外市场。"),
    ("alone", "Geely forms a robotics subsidiary", "Geely Holding has set up a robotics company."),
])
def test_no_deal(category, title, summary):
    assert extract({"id": category, "published": "2024-06-20", "title": title, "summary": summary}) == []


def test_one_company_is_never_a_deal():
    assert extract({"id": "x", "published": "2024-06-20", "title": "华为发布新一代智驾系统", "summary": "华为与合作伙伴共同开发。"}) == []
