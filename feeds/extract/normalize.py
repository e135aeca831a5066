"""Text normalisation shared by the matcher and the lexicons.

Traditional characters that occur in company names and deal vocabulary are mapped to
simplified ones, and full-width ASCII to half-width. Every mapping is one character to
one character, so offsets in the normalised text equal offsets in the original.
"""
from __future__ import annotations

import re

_TRADITIONAL = (
    "車長寧時賓馳寶馬豐來鵬華為亞達聯與資產廠電動個張業簽協議戰開發術線終東風廣眾團蘭藍億納緯鋰創軟訊騰數據們國際權購併機無龍鐵紀這並對將會還進過後從雙約擴級續擬認傳謠訴讓標麗體橫貿導點賽處問極領嵐圖維義萊層學號種內網錢萬幣區門駕艙鴻貨應礎轉輛關係歐陸屬滬濟頭總經營價儲舉辦實現於說話報稱證鈴鋒齊輝偉爾驅匯麥邁羅蘿蔔訂啟雲聲視曠湯蘋衝樂優鋼鐘顯晉壓驗賣買額戶輪廈蘇瑪傑裏裡邊陣貴節復態質統計劃畫輕靈圓澤鉑順奧韓遠興環歷曆週間預獲擁衛聞島瀋陽漢鎮灣臺雜誌員務變臨夥條並綫純廠"
)
_SIMPLIFIED = (
    "车长宁时宾驰宝马丰来鹏华为亚达联与资产厂电动个张业签协议战开发术线终东风广众团兰蓝亿纳纬锂创软讯腾数据们国际权购并机无龙铁纪这并对将会还进过后从双约扩级续拟认传谣诉让标丽体横贸导点赛处问极领岚图维义莱层学号种内网钱万币区门驾舱鸿货应础转辆关系欧陆属沪济头总经营价储举办实现于说话报称证铃锋齐辉伟尔驱汇麦迈罗萝卜订启云声视旷汤苹冲乐优钢钟显晋压验卖买额户轮厦苏玛杰里里边阵贵节复态质统计划画轻灵圆泽铂顺奥韩远兴环历历周间预获拥卫闻岛沈阳汉镇湾台杂志员务变临伙条并线纯厂"
)
assert len(_TRADITIONAL) == len(_SIMPLIFIED)

_TABLE: dict[int, int] = {ord(t): ord(s) for t, s in zip(_TRADITIONAL, _SIMPLIFIED, strict=True)}
# full-width ASCII letters and digits (U+FF10..U+FF5A) -> ASCII; the ideographic space -> space
_TABLE.update({cp: cp - 0xFEE0 for cp in range(0xFF10, 0xFF5B) if chr(cp - 0xFEE0).isalnum()})
_TABLE[0x3000] = 0x20


_MAPPED = re.compile("[" + re.escape("".join(chr(c) for c in _TABLE)) + "]")


def normalize(text: str) -> str:
    """Map traditional Chinese and full-width characters to their plain forms, length-preserving."""
    if text.isascii() or not _MAPPED.search(text):
        return text  # nothing to map, and str.translate costs a dictionary lookup per character
    return text.translate(_TABLE)
