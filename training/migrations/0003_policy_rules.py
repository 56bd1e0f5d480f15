"""The policy parameters of DOMAIN.md, as editable data with their sources."""

from django.db import migrations

CONDUCT_RULES = "《中国共产党党员教育管理工作条例》(2019)"
BRANCH_RULES = "《中国共产党支部工作条例（试行）》(2018)"
NATIONAL_PLAN = "《2019—2023年全国党员教育培训工作规划》"
LOCAL = "江北新区党员教育培训学时认定办法（地方实践）"

RULES = [
    # key, value, unit, source, status, from, to, notes
    ("annual_hours_member", 32, "学时", CONDUCT_RULES + " 第二十条", "confirmed", 2019, None, "每名党员每年集中学习培训时间一般不少于32学时"),
    ("annual_hours_leading", 56, "学时", NATIONAL_PLAN, "reported", 2019, None, "基层党组织书记和班子成员每年不少于56学时，至少参加1次集中培训"),
    ("secretary_rotation", 1, "次/年", NATIONAL_PLAN, "reported", 2019, None, "县级以上党委每年至少轮训1次基层党组织书记"),
    ("new_secretary_months", 6, "个月", NATIONAL_PLAN, "reported", 2019, None, "新任书记6个月内完成任职培训"),
    ("hours_full_day", 8, "学时", LOCAL, "reported", 2019, None, "全天培训计8学时"),
    ("hours_half_day", 4, "学时", LOCAL, "reported", 2019, None, "半天培训计4学时"),
    ("replay_earns_hours", 1, "", LOCAL, "reported", 2019, None, "观看回放计入学时"),
    ("min_minutes_watched", 30, "分钟", LOCAL, "reported", 2019, None, "线上学习观看不少于30分钟方计学时"),
    ("theme_day_per_year", 12, "次/年", CONDUCT_RULES + " 第十六条", "confirmed", 2019, None, "每月相对固定一天开展主题党日"),
    ("general_meeting_per_year", 4, "次/年", BRANCH_RULES + " 第十一条", "confirmed", 2018, None, "支部党员大会一般每季度召开1次"),
    ("committee_meeting_per_year", 12, "次/年", BRANCH_RULES + " 第十二条", "confirmed", 2018, None, "支部委员会会议一般每月召开1次"),
    ("group_meeting_per_year", 12, "次/年", BRANCH_RULES + " 第十三条", "confirmed", 2018, None, "党小组会一般每月召开1次"),
    ("party_lecture_per_year", 4, "次/年", LOCAL, "reported", 2019, None, "党课一般每季度1次；支部书记每年至少讲1次党课"),
    ("org_life_meeting_per_year", 1, "次/年", CONDUCT_RULES + " 第十七条", "confirmed", 2019, None, "组织生活会一般每年召开1次"),
    ("democratic_review_per_year", 1, "次/年", CONDUCT_RULES + " 第十八条", "confirmed", 2019, None, "民主评议党员一般每年开展1次"),
    ("elderly_exempt", 1, "", CONDUCT_RULES + " 第二十三条", "confirmed", 2019, None, "年老体弱党员不作硬性参训要求，送学上门"),
    ("mobile_away_months", 6, "个月", CONDUCT_RULES + " 第三十二条", "confirmed", 2019, None, "外出6个月以上未转组织关系的为流动党员"),
]


def add_rules(apps, schema_editor):
    PolicyRule = apps.get_model("training", "PolicyRule")
    for key, value, unit, source, status, start, end, notes in RULES:
        PolicyRule.objects.update_or_create(
            key=key,
            effective_from=start,
            defaults={"value": value, "unit": unit, "source": source, "status": status, "effective_to": end, "notes": notes},
        )


def remove_rules(apps, schema_editor):
    PolicyRule = apps.get_model("training", "PolicyRule")
    for key, *_rest in RULES:
        PolicyRule.objects.filter(key=key).delete()


class Migration(migrations.Migration):
    dependencies = [("training", "0002_initial")]

    operations = [migrations.RunPython(add_rules, remove_rules)]
