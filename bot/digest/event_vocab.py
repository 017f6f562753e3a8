"""Word lists the same-event detector (bot/digest/events.py) reads: round-up title words, English
stop words, Chinese names that English spells in Latin letters, and the kinds of event in both
languages. Our own lists, kept apart so the detector's logic stays readable."""

from __future__ import annotations

ROUNDUP_WORDS = (
    "早报", "晚报", "日报", "周报", "周刊", "月刊", "一周", "8 点 1 氪", "8点1氪", "大公司晚报",
    "roundup", "round-up", "newsletter", "this week in", "weekly digest",
)
STOP_WORDS = (
    "a an the of to in on for with and or but not is are was were be been by at as from that this "
    "these those it its it's will would can could should may might has have had do does did new "
    "more most than then over into about after before up out our we you your they their them he "
    "she his her i my me us all any some how what why when who which where now just also via "
    "says said say get gets got one two three first last year years week today s"
)
STOP = frozenset(STOP_WORDS.split())
# Chinese names of companies and products that English text spells in Latin letters. Our own
# table; only names that are unambiguous in tech news.
ALIASES: dict[str, str] = {
    "苹果": "apple", "谷歌": "google", "微软": "microsoft", "亚马逊": "amazon", "英伟达": "nvidia",
    "特斯拉": "tesla", "脸书": "facebook", "三星": "samsung", "华为": "huawei", "小米": "xiaomi",
    "百度": "baidu", "阿里巴巴": "alibaba", "阿里云": "alibaba", "阿里": "alibaba", "腾讯": "tencent",
    "字节跳动": "bytedance", "京东": "jd", "美团": "meituan", "滴滴": "didi", "优步": "uber",
    "软银": "softbank", "英特尔": "intel", "高通": "qualcomm", "台积电": "tsmc", "甲骨文": "oracle",
    "月之暗面": "moonshot", "智谱": "zhipu", "深度求索": "deepseek", "通义千问": "qwen",
    "千问": "qwen", "文心": "ernie", "豆包": "doubao", "混元": "hunyuan", "昇腾": "ascend",
    "欧盟": "eu", "联想": "lenovo", "商汤": "sensetime", "蔚来": "nio", "网易": "netease",
    "黑莓": "blackberry", "推特": "twitter", "领英": "linkedin", "马斯克": "musk",
    "扎克伯格": "zuckerberg", "纳德拉": "nadella", "网信办": "cac", "火山引擎": "volcano",
    "英国": "uk", "日本": "japan", "新加坡": "singapore", "印度": "india", "上海": "shanghai",
    "北京": "beijing", "深圳": "shenzhen",
    # more companies, apps and products
    "抖音": "douyin", "快手": "kuaishou", "拼多多": "pinduoduo", "比亚迪": "byd", "小鹏": "xpeng",
    "理想汽车": "liauto", "中兴": "zte", "中芯国际": "smic", "长江存储": "ymtc", "寒武纪": "cambricon",
    "大疆": "dji", "宁德时代": "catl", "携程": "ctrip", "哔哩哔哩": "bilibili", "B站": "bilibili",
    "爱奇艺": "iqiyi", "微信": "wechat", "支付宝": "alipay", "蚂蚁集团": "antgroup", "淘宝": "taobao",
    "天猫": "tmall", "荣耀": "honor", "联发科": "mediatek", "阿斯麦": "asml", "索尼": "sony",
    "摩尔线程": "moorethreads", "百川智能": "baichuan", "阶跃星辰": "stepfun", "昆仑万维": "kunlun",
    "科大讯飞": "iflytek", "讯飞": "iflytek", "海康威视": "hikvision", "旷视": "megvii", "极氪": "zeekr",
    "吉利": "geely", "奇瑞": "chery", "长安汽车": "changan", "微博": "weibo", "知乎": "zhihu",
    "小红书": "xiaohongshu", "宇树": "unitree", "优必选": "ubtech", "智元": "agibot", "一加": "oneplus",
    "魅族": "meizu", "传音": "transsion", "海尔": "haier", "格力": "gree", "中国移动": "chinamobile",
    "中国电信": "chinatelecom", "中国联通": "chinaunicom", "稀宇": "minimax", "可灵": "kling",
    "元宝": "yuanbao", "夸克": "quark", "钉钉": "dingtalk", "飞书": "feishu",
    # regulators, institutions, markets (only names one country uses)
    "市场监管总局": "samr", "市场监督管理总局": "samr", "工信部": "miit", "工业和信息化部": "miit",
    "海关总署": "customs", "实体清单": "entitylist", "反垄断": "antitrust", "中国人民银行": "pboc",
    "证监会": "csrc", "科创板": "starmarket", "港交所": "hkex", "纳斯达克": "nasdaq", "纽交所": "nyse",
    "香港": "hongkong", "杭州": "hangzhou", "广州": "guangzhou", "台湾": "taiwan",
    # countries that English news names by one word
    "韩国": "korea", "德国": "germany", "法国": "france", "俄罗斯": "russia", "乌克兰": "ukraine",
    "伊朗": "iran", "以色列": "israel", "加拿大": "canada", "澳大利亚": "australia", "荷兰": "netherlands",
}
# English phrases (lower case) that stand for one of the canonical names above.
EN_ALIASES = {
    "cyberspace administration": "cac", "volcano engine": "volcano", "li auto": "liauto",
    "ant group": "antgroup", "moore threads": "moorethreads", "trip.com": "ctrip",
    "rednote": "xiaohongshu", "china mobile": "chinamobile", "china telecom": "chinatelecom",
    "china unicom": "chinaunicom", "market regulator": "samr", "market regulation": "samr",
    "ministry of industry and information technology": "miit", "industry ministry": "miit",
    "entity list": "entitylist", "people's bank of china": "pboc",
    "securities regulatory commission": "csrc", "securities regulator": "csrc",
    "star market": "starmarket", "hong kong": "hongkong", "hong kong exchange": "hkex",
    "south korea": "korea",
}
# What kind of event a story tells, in both languages (our own lists). Two stories that name
# kinds, none in common, are told apart (a recall is not a review; a funding round is not a
# launch) even when they name the same company or product.
EVENT_TYPES: dict[str, tuple[str, ...]] = {
    "funding": ("raises", "raised", "funding round", "series", "valuation", "融资", "估值", "领投"),
    "acquisition": ("acquire", "acquires", "acquired", "acquisition", "to buy", "buys", "merger",
                    "收购", "并购", "买下"),
    "earnings": ("earnings", "revenue", "quarterly", "profit", "results", "财报", "营收", "净利",
                 "业绩"),
    "launch": ("launch", "launches", "launched", "release", "releases", "released", "introduces",
               "introducing", "unveils", "unveiled", "debuts", "rolls out", "now available",
               "发布", "推出", "上线", "亮相", "发售", "上市销售"),
    "open-source": ("open-source", "open-sources", "open source", "open weights", "开源"),
    "people": ("resign", "resigns", "resigned", "steps down", "appointed", "appoints", "joins",
               "chief executive", "辞职", "离职", "卸任", "任命", "加盟", "出任", "下课"),
    "legal": ("sue", "sues", "sued", "lawsuit", "court", "fine", "fined", "fines", "penalty",
              "起诉", "诉讼", "法院", "罚款", "判决"),
    "policy": ("regulation", "rules", "law", "bill", "ban", "bans", "regulator", "政策", "监管",
               "新规", "办法", "禁止", "法规", "整治"),
    "recall": ("recall", "recalls", "recalling", "召回"),
    "outage": ("outage", "went dark", "offline", "unavailable", "宕机", "瘫痪", "中断"),
    "layoffs": ("layoffs", "lays off", "job cuts", "裁员", "解散"),
    "listing": ("ipo", "listing", "goes public", "上市", "挂牌"),
    "partnership": ("partner", "partners", "partnership", "agreement", "deal with", "合作",
                    "协议", "签约", "联手"),
    "price": ("price cut", "cuts prices", "cutting", "lowered prices", "降价", "下调"),
    "review": ("review", "hands-on", "we tried", "评测", "体验", "上手"),
    "office": ("opens office", "opens an office", "office in", "办公室", "设立"),
    "security": ("vulnerability", "exploit", "breach", "attack", "漏洞", "攻击", "入侵"),
    "investment": ("invest", "invests", "investment", "投资"),
}
