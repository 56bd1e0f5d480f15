"""A deterministic synthetic Jiangbei district: organisations, members, venues, lecturers
and a 2025 year of programmes with raw attendance from every channel.

Nothing here types in a total: the article's figures (近4万 members reached, 2100余
secretary person-times) must come out of counting the attendance rows written below.
The generator decides *who* is reached (mobile and elderly members less often), then
writes rows consistent with that decision.
"""

import math
import random
import secrets
import time
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import partial

from django.contrib.auth import get_user_model
from django.core.management.color import no_style
from django.db import connection, transaction
from django.utils import timezone

from jiangbei.bulk import BulkWriter
from lectures.models import Lecture, Lecturer, LectureRequest, Scene, VolunteerService
from training.attendance.models import Attendance
from training.organisation.models import Category, Grant, Member, NewSectorSubtype, Organisation
from training.programmes.models import Course, DeliveryMode, Enrolment, Programme, Session
from venues.models import StudyRoute, StudyRouteStop, Venue

YEAR = 2025
DEMO_PASSWORD = "jiangbei2025"
STREETS = ["泰山", "顶山", "沿江", "盘城", "大厂", "长芦", "葛塘"]
PARKS = ["研创园", "新材料科技园"]

# Share of active members reached in the year. At full scale (≈44,300 active members)
# this lands at ≈39,400 (近4万); the secretaries' party-school person-times land in
# 2100–2199 because every branch secretary attends once and some attend a second round.
REACH_RATE = 0.889
SECRETARY_TRAINING_EXTRA = 0.06


@dataclass(frozen=True)
class Scale:
    name: str
    communities_per_street: int
    branches_per_community: tuple[int, int]
    park_general_branches: int
    branches_per_park_unit: tuple[int, int]
    organ_departments: int
    branches_per_department: tuple[int, int]
    soe_companies: int
    branches_per_company: tuple[int, int]
    new_sector_groups: int
    branches_per_group: tuple[int, int]
    branch_size: tuple[int, int]
    target_members: int | None
    lecturers: int
    lecture_requests: int
    lectures: int
    volunteer_services: int


SCALES = {
    "demo": Scale("demo", 1, (2, 2), 1, (2, 2), 1, (2, 2), 1, (2, 2), 4, (2, 2), (6, 18), None, 100, 16, 40, 60),
    "full": Scale(
        "full", 14, (6, 10), 20, (4, 6), 15, (3, 5), 12, (15, 21), 30, (20, 28), (8, 38), 45_000, 120, 90, 320, 1500
    ),
}

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢"
    "姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红建国志文斌鹏辉宇浩然晨曦欣怡子涵雨轩梓睿思远嘉诚"
PLACE_WORDS = (
    "明发 浦珠 滨江 丽岛 柳洲 高新 永新 新华 晨光 桥北 龙华 星甸 和园 康华 金汤 浦厂 泰冯 天华 旭日 "
    "顶山 张圩 京新 山潘 新城 南门 宁六 扬子 葛关 欣乐 方水 大新 双峰 长城 城南 花旗 盘城 新犁 九华 "
    "复兴 朱家 沿江 大桥 凤凰 东沟 西江 北城 南苑 春晖 秋实 林语 芳华 怡景 和顺 康居 福润 瑞金 银城"
).split()
ORGAN_DEPARTMENTS = [
    "党政办公室", "党群工作部", "经济发展局", "规划和自然资源局", "建设与交通局", "生态环境和水务局",
    "财政局", "科技创新局", "人才局", "社会事业局", "市场监管局", "行政审批局", "应急管理局",
    "综合执法局", "统计局", "投资促进局", "数据管理局", "城市管理局",
]
SOE_COMPANIES = [
    "产业投资集团", "建设投资集团", "公用控股", "交通集团", "科技投资集团", "城市建设集团", "水务集团",
    "文旅集团", "环保集团", "金融控股", "港口集团", "人才发展集团", "新区资产管理公司",
]
NEW_SECTOR_GROUPS = [
    ("楼宇党建", NewSectorSubtype.NON_PUBLIC), ("快递物流行业", NewSectorSubtype.NEW_EMPLOYMENT),
    ("律师行业", NewSectorSubtype.NEW_SOCIAL), ("混合所有制企业", NewSectorSubtype.MIXED_OWNERSHIP),
    ("互联网企业", NewSectorSubtype.NEW_ECONOMIC), ("网约车行业", NewSectorSubtype.NEW_EMPLOYMENT),
    ("外卖配送行业", NewSectorSubtype.NEW_EMPLOYMENT), ("社会组织", NewSectorSubtype.NEW_SOCIAL),
    ("集成电路企业", NewSectorSubtype.NON_PUBLIC), ("生物医药企业", NewSectorSubtype.NON_PUBLIC),
    ("软件信息企业", NewSectorSubtype.NEW_ECONOMIC), ("商贸服务企业", NewSectorSubtype.NON_PUBLIC),
]
TOPICS = [
    "习近平新时代中国特色社会主义思想", "党的二十届三中全会精神", "中央八项规定精神", "乡村振兴惠民政策",
    "科技自立自强", "基层治理", "优化营商环境", "依法行政", "国有资产保值增值", "廉洁风险防控",
    "新兴领域党建", "长江大保护", "新质生产力", "民法典进社区", "党史学习教育", "中国式现代化",
]
DIALECTS = ["普通话", "南京话", "江浦话", "六合话"]


# Meeting times tried, afternoons first, when a branch's preferred time is taken (two hours each).
MEETING_SLOTS = ((14, 30), (16, 30), (10, 30), (8, 30), (12, 30), (18, 45))


def aware(day: date, hour: int, minute: int = 0) -> datetime:
    """A local (Asia/Shanghai) wall-clock time on ``day``."""
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=timezone.get_current_timezone())


class DistrictGenerator:
    """Builds the district in one transaction; ``run`` returns the printed counts."""

    def __init__(self, scale: Scale, seed: int, stdout=None):
        self.scale = scale
        self.rng = random.Random(seed)
        self.stdout = stdout
        self.next_org_pk = 1
        self.orgs: list[Organisation] = []
        self.members: list[Member] = []
        self.sessions: list[Session] = []
        self.next_session_pk = 1
        # (venue name, local day) -> booked (start, end): sibling branches share their unit's room.
        self.bookings: dict[tuple[str, date], list[tuple[datetime, datetime]]] = defaultdict(list)
        self.programmes: dict[str, Programme] = {}
        self.courses: dict[str, Course] = {}
        self.venue_for_org: dict[int, Venue] = {}
        self.attended_elsewhere: set[int] = set()
        self.adapt_datetime = connection.ops.adapt_datetimefield_value
        self.attendance = None
        self.hours_cache: dict[Decimal, object] = {}

    # --- helpers ---------------------------------------------------------------------

    def log(self, message: str) -> None:
        if self.stdout is not None:
            self.stdout.write(message)

    def adapt_hours(self, hours: Decimal):
        if hours not in self.hours_cache:
            self.hours_cache[hours] = connection.ops.adapt_decimalfield_value(hours, 5, 1)
        return self.hours_cache[hours]

    def new_org(self, name: str, kind: str, sector: str, parent: Organisation | None) -> Organisation:
        pk = self.next_org_pk
        self.next_org_pk += 1
        path = (parent.path if parent else "") + Organisation.path_segment(pk)
        org = Organisation(pk=pk, name=name, kind=kind, sector=sector, parent=parent, path=path, depth=path.count("/") - 1)
        self.orgs.append(org)
        return org

    def person_name(self) -> str:
        given_length = 1 if self.rng.random() < 0.35 else 2
        return self.rng.choice(SURNAMES) + "".join(self.rng.choice(GIVEN) for _ in range(given_length))

    def place_names(self, count: int) -> list[str]:
        words = PLACE_WORDS[:]
        self.rng.shuffle(words)
        names = []
        for index in range(count):
            word = words[index % len(words)]
            names.append(word if index < len(words) else word + "新")
        return names

    def new_session(self, *, course: Course, kind: str, starts_at: datetime, minutes: int, organiser: Organisation,
                    venue: Venue | None, mode: str, capacity: int | None = None, title: str = "", **extra) -> Session:
        session = Session(
            pk=self.next_session_pk,
            course=course,
            programme_id=course.programme_id,
            title=title,
            kind=kind,
            starts_at=starts_at,
            ends_at=starts_at + timedelta(minutes=minutes),
            venue=venue,
            mode=mode,
            capacity=capacity,
            organiser=organiser,
            status=Session.Status.COMPLETED if starts_at < timezone.now() else Session.Status.SCHEDULED,
            checkin_token=secrets.token_urlsafe(18),  # a secret: deliberately not from the seeded generator
            created_at=starts_at - timedelta(days=14),
            **extra,
        )
        self.next_session_pk += 1
        self.sessions.append(session)
        if venue is not None:
            self.bookings[(venue.name, timezone.localtime(starts_at).date())].append((session.starts_at, session.ends_at))
        session._recorded_at = self.adapt_datetime(session.ends_at)
        session._hours = self.adapt_hours(session.credited_hours if session.credited_hours is not None else course.credited_hours)
        local = timezone.localtime(starts_at)
        session._year, session._month = local.year, local.month
        return session

    def meeting_start(self, venue: Venue | None, day: date, minutes: int, preferred: tuple[int, int]) -> datetime:
        """The preferred time on ``day``, or the first free slot at ``venue`` from then on within the
        month: the demo follows the scheduling rules, so a shared room is never double-booked."""
        if venue is None:
            return aware(day, *preferred)
        opens, closes = str(venue.opens_at or "00:00")[:5], str(venue.closes_at or "24:00")[:5]  # as written here
        for offset in range(28):
            candidate = date(day.year, day.month, (day.day - 1 + offset) % 28 + 1)
            booked = self.bookings[(venue.name, candidate)]
            for hour, minute in (preferred, *MEETING_SLOTS):
                start = aware(candidate, hour, minute)
                end = start + timedelta(minutes=minutes)
                if opens <= f"{hour:02d}:{minute:02d}" and timezone.localtime(end).strftime("%H:%M") <= closes and all(
                    end <= other_start or start >= other_end for other_start, other_end in booked
                ):
                    return start
        raise RuntimeError(f"{venue.name} has no free slot in {day:%Y-%m}")

    def school_rooms(self) -> list[Venue]:
        """The party school's hall, then its classrooms."""
        return [venue for name, venue in self.venues.items() if name.startswith("江北新区党校")]

    def free_room(self, rooms: list[Venue], start: datetime, minutes: int) -> Venue:
        """The first of ``rooms`` free from ``start`` for ``minutes``: the party school's classrooms."""
        end, day = start + timedelta(minutes=minutes), timezone.localtime(start).date()
        for room in rooms:
            if all(end <= other_start or start >= other_end for other_start, other_end in self.bookings[(room.name, day)]):
                return room
        raise RuntimeError(f"no classroom free at {start}")

    def attend(self, session: Session, member: Member, status: str, channel: str, **options) -> None:
        self.attendance.add(self.row(session, member, status, channel, **options))

    def row(self, session: Session, member: Member, status: str, channel: str, minutes: int | None = None,
            makeup_for: Session | None = None, hours=None) -> tuple:
        attended = status in Attendance.ATTENDED_STATUSES
        duration = int((session.ends_at - session.starts_at).total_seconds() // 60)
        if attended:
            self.attended_elsewhere.add(member.pk)
        return (
            session.pk, member.pk, status, channel,
            (minutes if minutes is not None else duration) if attended else 0,
            (hours if hours is not None else session._hours) if attended else self.adapt_hours(Decimal("0")),
            makeup_for.pk if makeup_for else None, None, session._recorded_at,
            member.branch_id, member.category, session.programme_id, session._year, session._month, attended,
        )

    def attended_status(self) -> str:
        roll = self.rng.random()
        return Attendance.Status.PRESENT if roll < 0.9 else Attendance.Status.LATE if roll < 0.96 else Attendance.Status.LEFT_EARLY

    # --- the run -----------------------------------------------------------------------

    def run(self) -> dict[str, object]:
        started = time.monotonic()
        with transaction.atomic():
            if connection.vendor == "sqlite":
                with connection.cursor() as cursor:
                    cursor.execute("PRAGMA cache_size = -200000")
            self.build_organisations()
            self.build_members()
            self.build_venues()
            self.build_lecturers()
            self.build_programmes()
            self.choose_reached()
            self.attendance = BulkWriter(Attendance, [
                "session", "member", "status", "channel", "minutes", "credited_hours", "makeup_for",
                "recorded_by", "recorded_at", "branch", "category", "programme", "year", "month", "attended",
            ])
            self.build_district_programmes()
            self.build_branch_life()
            self.build_upcoming()
            self.flush_sessions()
            self.attendance.flush()
            self.build_lectures()
            self.build_users()
            self.reset_sequences()
        counts = self.counts()
        counts["seconds"] = round(time.monotonic() - started, 1)
        return counts

    # --- organisations and members -------------------------------------------------------

    def build_organisations(self) -> None:
        s, rng = self.scale, self.rng
        K, SEC = Organisation.Kind, Organisation.Sector
        root = self.new_org("江北新区党工委", K.WORKING_COMMITTEE, SEC.AREA, None)
        self.root = root
        self.branch_sector: dict[int, tuple[str, str]] = {}  # branch pk -> (category, subtype)
        self.level1: list[Organisation] = []
        self.level2: list[Organisation] = []

        def add_branches(parent: Organisation, count: int, prefix: str, category: str, subtype: str = "", joint_every: int = 0):
            for index in range(1, count + 1):
                joint = joint_every and (index % joint_every == 0 or index == count)
                kind = K.JOINT_BRANCH if joint else K.BRANCH
                name = f"{prefix}联合党支部" if joint else f"{prefix}第{index}党支部"
                branch = self.new_org(name, kind, parent.sector, parent)
                self.branch_sector[branch.pk] = (category, subtype)

        for street in STREETS:
            unit = self.new_org(f"{street}街道党工委", K.STREET, SEC.AREA, root)
            self.level1.append(unit)
            for community in self.place_names(s.communities_per_street):
                committee = self.new_org(f"{street}街道{community}社区党委", K.COMMITTEE, SEC.AREA, unit)
                self.level2.append(committee)
                # Community names repeat across streets: a branch name carries its street too.
                add_branches(committee, rng.randint(*s.branches_per_community), f"{street}{community}社区", Category.COMMUNITY)
            office = self.new_org(f"{street}街道机关党总支", K.GENERAL_BRANCH, SEC.ORGAN, unit)
            self.level2.append(office)
            add_branches(office, 2 if s.name == "demo" else 4, f"{street}街道机关", Category.ORGAN)
        for park in PARKS[: 1 if s.name == "demo" else len(PARKS)]:
            unit = self.new_org(f"{park}党工委", K.STREET, SEC.AREA, root)
            self.level1.append(unit)
            for index, word in enumerate(self.place_names(s.park_general_branches), start=1):
                subtype = NewSectorSubtype.NEW_ECONOMIC if index % 2 else NewSectorSubtype.NON_PUBLIC
                general = self.new_org(f"{park}{word}科技企业党总支", K.GENERAL_BRANCH, SEC.NEW_SECTOR, unit)
                self.level2.append(general)
                add_branches(general, rng.randint(*s.branches_per_park_unit), f"{park}{word}", Category.NEW_SECTOR, subtype, 4)
        organ = self.new_org("江北新区机关党委", K.COMMITTEE, SEC.ORGAN, root)
        self.level1.append(organ)
        for department in ORGAN_DEPARTMENTS[: s.organ_departments]:
            general = self.new_org(f"{department}党总支", K.GENERAL_BRANCH, SEC.ORGAN, organ)
            self.level2.append(general)
            add_branches(general, rng.randint(*s.branches_per_department), department, Category.ORGAN)
        soe = self.new_org("江北新区国资党委", K.COMMITTEE, SEC.SOE, root)
        self.level1.append(soe)
        for company in SOE_COMPANIES[: s.soe_companies]:
            committee = self.new_org(f"{company}党委", K.COMMITTEE, SEC.SOE, soe)
            self.level2.append(committee)
            add_branches(committee, rng.randint(*s.branches_per_company), company, Category.SOE)
        new_sector = self.new_org("江北新区两新工委", K.COMMITTEE, SEC.NEW_SECTOR, root)
        self.level1.append(new_sector)
        for index in range(s.new_sector_groups):
            group, subtype = NEW_SECTOR_GROUPS[index % len(NEW_SECTOR_GROUPS)]
            round_number = index // len(NEW_SECTOR_GROUPS) + 1
            name = group if round_number == 1 else f"{group}（{round_number}）"
            general = self.new_org(f"{name}党总支", K.GENERAL_BRANCH, SEC.NEW_SECTOR, new_sector)
            self.level2.append(general)
            add_branches(general, rng.randint(*s.branches_per_group), name, Category.NEW_SECTOR, subtype, 5)
        Organisation.objects.bulk_create(self.orgs, batch_size=2000)
        self.branches = [org for org in self.orgs if org.is_branch]
        self.parent_of = {org.pk: org.parent_id for org in self.orgs}

    def branch_sizes(self) -> list[int]:
        low, high = self.scale.branch_size
        sizes = []
        for branch in self.branches:
            category, _subtype = self.branch_sector[branch.pk]
            size = self.rng.randint(low, high) + (6 if category == Category.COMMUNITY else 0)
            sizes.append(max(3, size))
        target = self.scale.target_members
        if target:  # spread the difference so the district has exactly the target count
            difference = target - sum(sizes)
            index = 0
            while difference:
                step = 1 if difference > 0 else -1
                if sizes[index % len(sizes)] + step >= 3:
                    sizes[index % len(sizes)] += step
                    difference -= step
                index += 1
        return sizes

    def build_members(self) -> None:
        rng = self.rng
        number = 0
        subtype_pool = [choice for choice in NewSectorSubtype.values]
        for branch, size in zip(self.branches, self.branch_sizes(), strict=True):
            category, subtype = self.branch_sector[branch.pk]
            has_committee = size >= 7
            committee_places = rng.randint(2, 4) if has_committee else 0
            for index in range(size):
                number += 1
                member_category, member_subtype = category, subtype
                if rng.random() < 0.04:  # category follows a member's work, not their branch
                    member_category = rng.choice(Category.values)
                    member_subtype = ""
                if member_category == Category.NEW_SECTOR and not member_subtype:
                    member_subtype = rng.choice(subtype_pool)
                if member_category != Category.NEW_SECTOR:
                    member_subtype = ""
                if index == 0:
                    position = Member.Position.SECRETARY
                elif index == 1 and has_committee and rng.random() < 0.5:
                    position = Member.Position.DEPUTY_SECRETARY
                elif index <= committee_places:
                    position = Member.Position.COMMITTEE
                else:
                    position = Member.Position.MEMBER
                leading = position != Member.Position.MEMBER
                community = category == Category.COMMUNITY
                elderly = not leading and rng.random() < (0.2 if community else 0.02)
                mobile = not leading and not elderly and rng.random() < (
                    0.07 if community or member_subtype == NewSectorSubtype.NEW_EMPLOYMENT else 0.02
                )
                age = rng.randint(72, 92) if elderly else rng.randint(23, 66)
                birth = date(YEAR - age, rng.randint(1, 12), rng.randint(1, 28))
                joined = date(min(YEAR, birth.year + rng.randint(19, 40)), rng.randint(1, 12), rng.randint(1, 28))
                status_roll = rng.random()
                status = (
                    Member.Status.TRANSFERRED_OUT if status_roll < 0.012
                    else Member.Status.PROBATIONARY if status_roll < 0.03 and not leading
                    else Member.Status.ACTIVE
                )
                self.members.append(Member(
                    pk=number,
                    member_number=f"JB{number:07d}",
                    name=self.person_name(),
                    gender=Member.Gender.MALE if rng.random() < 0.58 else Member.Gender.FEMALE,
                    birth_date=birth,
                    branch_id=branch.pk,
                    category=member_category,
                    new_sector_subtype=member_subtype,
                    position=position,
                    is_mobile=mobile,
                    is_elderly=elderly,
                    is_backbone=not elderly and rng.random() < 0.1,
                    status=status,
                    joined_on=joined,
                    phone=f"1{rng.choice('3589')}{rng.randint(0, 9)}{rng.randint(0, 99_999_999):08d}",
                ))
        Member.objects.bulk_create(self.members, batch_size=5000)
        self.active = [member for member in self.members if member.status in Member.ACTIVE_STATUSES]
        self.members_by_branch: dict[int, list[Member]] = defaultdict(list)
        for member in self.active:
            self.members_by_branch[member.branch_id].append(member)

    def choose_reached(self) -> None:
        """Pick who is reached this year; mobile and elderly members are reached less often.

        Weighted sampling without replacement (Efraimidis–Spirakis keys): each member gets
        key u**(1/w) with a larger w for the groups that are harder to reach, and the
        largest keys form the not-reached set. Secretaries are always reached.
        """
        rng = self.rng
        candidates = [m for m in self.active if m.position == Member.Position.MEMBER]
        unreached_count = len(self.active) - round(len(self.active) * REACH_RATE)
        keyed = []
        for member in candidates:
            weight = 1.0
            if member.is_mobile:
                weight *= 6
            if member.is_elderly:
                weight *= 4
            if member.new_sector_subtype == NewSectorSubtype.NEW_EMPLOYMENT:
                weight *= 1.5
            keyed.append((rng.random() ** (1 / weight), member.pk))
        keyed.sort(reverse=True)
        self.unreached = {pk for _key, pk in keyed[:unreached_count]}
        self.reached = [m for m in self.active if m.pk not in self.unreached]

    # --- venues and lecturers ---------------------------------------------------------------

    def build_venues(self) -> None:
        V, S = Venue.Kind, Venue.Subtype
        by_name = {org.name: org for org in self.level1}

        def street(name: str) -> Organisation | None:
            return by_name.get(name)

        venues = [
            Venue(name="江北新区党校", kind=V.THEORY, subtype=S.PARTY_SCHOOL_CLASSROOM, capacity=300,
                  address="江北新区浦滨路", opens_at="08:00", closes_at="21:00",
                  accessibility_notes="一楼报告厅设无障碍坡道，可预留轮椅位"),
            *(
                Venue(name=f"江北新区党校第{number}教室", kind=V.THEORY, subtype=S.PARTY_SCHOOL_CLASSROOM, capacity=60,
                      address="江北新区浦滨路", opens_at="08:00", closes_at="21:00")
                for number in "一二三四五"
            ),
            Venue(name="江北新区规划展览馆", kind=V.SITE, subtype=S.FIELD_TEACHING_POINT, capacity=120,
                  street=street("顶山街道党工委"), address="江北新区", opens_at="09:00", closes_at="17:00",
                  description="现场教学点：感受新区发展脉搏"),
            Venue(name="研创园“研习时光”", kind=V.SITE, subtype=S.DOORSTEP_CLASSROOM, capacity=60,
                  street=street("研创园党工委"), address="研创园团结路", opens_at="09:00", closes_at="21:00",
                  description="“家门口”的党员教育实境课堂"),
            Venue(name="葛塘街道草莓大棚宣讲点", kind=V.MOBILE, subtype=S.FARM, capacity=40,
                  street=street("葛塘街道党工委"), address="葛塘街道", opens_at="08:00", closes_at="17:00",
                  accessibility_notes="田间道路不平，年老党员请结伴前往"),
            Venue(name="渡江胜利纪念馆", kind=V.SITE, subtype=S.RED_EDUCATION_BASE, capacity=200,
                  address="南京市鼓楼区", opens_at="09:00", closes_at="16:30"),
            Venue(name="浦口火车站旧址", kind=V.SITE, subtype=S.RED_EDUCATION_BASE, capacity=150,
                  street=street("泰山街道党工委"), address="江北新区沿江", opens_at="09:00", closes_at="17:00"),
            Venue(name="南京长江大桥展览馆", kind=V.SITE, subtype=S.EXHIBITION_HALL, capacity=100,
                  address="南京长江大桥", opens_at="09:00", closes_at="17:00"),
            Venue(name="大厂工业记忆展示馆", kind=V.SITE, subtype=S.EXHIBITION_HALL, capacity=80,
                  street=street("大厂街道党工委"), address="大厂街道", opens_at="09:00", closes_at="17:00"),
            Venue(name="扬子车间党课宣讲点", kind=V.MOBILE, subtype=S.WORKSHOP, capacity=50,
                  street=street("大厂街道党工委"), address="大厂街道", opens_at="08:00", closes_at="18:00"),
            Venue(name="沿江街道滨江社区广场", kind=V.MOBILE, subtype=S.COMMUNITY_SQUARE, capacity=200,
                  street=street("沿江街道党工委"), address="沿江街道", opens_at="07:00", closes_at="21:00"),
            Venue(name="江北新区移动党建平台", kind=V.ONLINE, subtype=S.ONLINE_PLATFORM),
            Venue(name="新区线上直播课堂", kind=V.ONLINE, subtype=S.ONLINE_PLATFORM),
            Venue(name="研创园楼宇党建服务站", kind=V.THEORY, subtype=S.OFFICE_BUILDING, capacity=80,
                  street=street("研创园党工委"), address="研创园", opens_at="08:30", closes_at="20:00"),
        ]
        for unit in self.level2:
            street_unit = self.orgs[int(unit.path.split("/")[1]) - 1]
            venue = Venue(name=f"{unit.name.removesuffix('党委').removesuffix('党总支')}党群服务中心",
                          kind=V.THEORY, subtype=S.MEETING_ROOM, capacity=self.rng.choice([40, 60, 80]),
                          street=street_unit if street_unit.kind == Organisation.Kind.STREET else None,
                          opens_at="08:30", closes_at="21:00", accessibility_notes="一楼活动室，方便年老党员")
            venue._unit_pk = unit.pk
            venues.append(venue)
        Venue.objects.bulk_create(venues)
        self.venues = {venue.name: venue for venue in venues}
        for venue in venues:
            if hasattr(venue, "_unit_pk"):
                self.venue_for_org[venue._unit_pk] = venue
        route = StudyRoute.objects.create(
            name="江北红色研学路线", description="渡江胜利纪念馆 → 浦口火车站旧址 → 规划展览馆",
            street=None,
        )
        stops = ["渡江胜利纪念馆", "浦口火车站旧址", "南京长江大桥展览馆", "江北新区规划展览馆"]
        StudyRouteStop.objects.bulk_create([
            StudyRouteStop(route=route, venue=self.venues[name], order=index, minutes=minutes)
            for index, (name, minutes) in enumerate(zip(stops, [90, 60, 45, 60], strict=True), start=1)
        ])

    def build_lecturers(self) -> None:
        rng = self.rng
        kinds = Lecturer.Kind.values
        lecturers = []
        for index in range(self.scale.lecturers):
            kind = kinds[index % len(kinds)]
            topics = rng.sample(TOPICS, 3)
            lecturers.append(Lecturer(
                name=self.person_name(),
                kind=kind,
                affiliation=rng.choice([org.name for org in self.level2]) if kind != Lecturer.Kind.SCHOLAR else "南京高校",
                topics="、".join(topics),
                bio="扎根基层，善用身边事讲清大道理。",
                dialects="、".join(sorted(set(["普通话", rng.choice(DIALECTS)]))),
                in_xinghuo=rng.random() < 0.8,
                in_baiqianwan=index < round(self.scale.lecturers * 0.72),
                phone=f"139{rng.randint(0, 99_999_999):08d}",
            ))
        Lecturer.objects.bulk_create(lecturers)
        self.lecturers = lecturers

    # --- programmes and sessions -------------------------------------------------------------

    def build_programmes(self) -> None:
        P = Programme.Kind
        specs = [
            ("party_school", "万名党员进党校", P.PARTY_SCHOOL),
            ("secretary", "基层党组织书记全覆盖进党校培训", P.SECRETARY_TRAINING),
            ("theme_day", "主题党日", P.THEME_DAY),
            ("org_life", "三会一课", P.ORGANISATIONAL_LIFE),
            ("live", "线上直播课堂", P.LIVE_LECTURES),
            ("winter", "冬训", P.WINTER_TRAINING),
        ]
        for key, name, kind in specs:
            self.programmes[key] = Programme.objects.create(
                name=f"{YEAR}年{name}", kind=kind, year=YEAR, organiser=self.root
            )
        H = Decimal
        course_specs = [
            ("ps_organ", "party_school", "依法行政与优化营商环境", [Category.ORGAN], H("4"), DeliveryMode.OFFLINE),
            ("ps_community", "party_school", "基层治理与群众工作方法", [Category.COMMUNITY], H("4"), DeliveryMode.OFFLINE),
            ("ps_soe", "party_school", "党建引领国企发展与廉洁风险防控", [Category.SOE], H("4"), DeliveryMode.OFFLINE),
            ("ps_new_sector", "party_school", "新兴领域党建与先锋模范作用", [Category.NEW_SECTOR], H("4"), DeliveryMode.OFFLINE),
            ("secretary", "secretary", "基层党组织书记轮训班", [], H("8"), DeliveryMode.OFFLINE),
            ("theme_day", "theme_day", "主题党日", [], H("2"), DeliveryMode.OFFLINE),
            ("general_meeting", "org_life", "支部党员大会", [], H("1.5"), DeliveryMode.OFFLINE),
            ("committee_meeting", "org_life", "支部委员会会议", [], H("1.5"), DeliveryMode.OFFLINE),
            ("party_lecture", "org_life", "党课", [], H("2"), DeliveryMode.OFFLINE),
            ("org_life_meeting", "org_life", "组织生活会", [], H("2"), DeliveryMode.OFFLINE),
            ("democratic_review", "org_life", "民主评议党员", [], H("2"), DeliveryMode.OFFLINE),
            ("makeup", "theme_day", "主题党日集中补学", [], H("2"), DeliveryMode.OFFLINE),
            ("home", "theme_day", "送学上门", [], H("2"), DeliveryMode.OFFLINE),
            ("live", "live", "线上直播专题课", [], H("2"), DeliveryMode.LIVE),
            ("winter", "winter", "冬训集中学习", [], H("4"), DeliveryMode.BLENDED),
        ]
        lecturers = iter(self.lecturers)
        for key, programme_key, title, categories, hours, mode in course_specs:
            self.courses[key] = Course.objects.create(
                title=title, programme=self.programmes[programme_key], target_categories=list(categories),
                credited_hours=hours, mode=mode, topics="、".join(self.rng.sample(TOPICS, 2)),
                lecturer=next(lecturers) if programme_key in ("party_school", "secretary", "live") else None,
            )

    def build_district_programmes(self) -> None:
        rng = self.rng
        school = self.school_rooms()
        field_point = self.venues["江北新区规划展览馆"]
        online = self.venues["新区线上直播课堂"]
        working_days = [d for d in (date(YEAR, 1, 1) + timedelta(days=i) for i in range(365)) if d.weekday() < 5]

        # 基层党组织书记全覆盖进党校培训: every branch secretary once, some a second round.
        secretaries = [m for m in self.active if m.position == Member.Position.SECRETARY]
        rng.shuffle(secretaries)
        second_round = secretaries[: round(len(secretaries) * SECRETARY_TRAINING_EXTRA)]
        class_size = 45
        for round_number, group in ((1, secretaries), (2, second_round)):
            for start in range(0, len(group), class_size):
                day = rng.choice(working_days[40:300] if round_number == 1 else working_days[200:330])
                session = self.new_session(
                    course=self.courses["secretary"], kind=Session.Kind.CLASS, starts_at=aware(day, 9),
                    minutes=7 * 60, organiser=self.root, venue=self.free_room(school, aware(day, 9), 7 * 60),
                    mode=DeliveryMode.OFFLINE, capacity=50,
                    title=f"基层党组织书记轮训班（{'第二轮' if round_number == 2 else '第一轮'}第{start // class_size + 1}期）",
                )
                for member in group[start : start + class_size]:
                    self.attend(session, member, self.attended_status(), Attendance.Channel.ROSTER)

        # 万名党员进党校: classes by category, drawn from reached members who are not secretaries.
        pool = [m for m in self.reached if m.position != Member.Position.SECRETARY and not m.is_elderly]
        rng.shuffle(pool)
        participants = pool[: round(len(self.active) * 0.235)]
        by_category = defaultdict(list)
        for member in participants:
            by_category[member.category].append(member)
        for category, group in by_category.items():
            course = self.courses[f"ps_{category}"]
            for start in range(0, len(group), 50):
                day = rng.choice(working_days[60:320])
                session = self.new_session(
                    course=course, kind=Session.Kind.CLASS, starts_at=aware(day, 14), minutes=3 * 60,
                    organiser=self.root, venue=self.free_room(school, aware(day, 14), 3 * 60),
                    mode=DeliveryMode.OFFLINE, capacity=60,
                    title=f"万名党员进党校·{course.title}（第{start // 50 + 1}期）",
                )
                for member in group[start : start + 50]:
                    roll = rng.random()
                    if roll < 0.03:
                        self.attend(session, member, Attendance.Status.EXCUSED, Attendance.Channel.ROSTER)
                    else:
                        self.attend(session, member, self.attended_status(), Attendance.Channel.QR)
                if start % 200 == 0:  # followed by a field-teaching visit
                    visit = self.new_session(
                        course=course, kind=Session.Kind.FIELD_STUDY,
                        starts_at=self.meeting_start(field_point, day + timedelta(days=1), 180, (9, 0)), minutes=180, organiser=self.root, venue=field_point, mode=DeliveryMode.OFFLINE,
                        capacity=120, title=f"现场教学：走进规划展览馆（{course.title}）",
                    )
                    for member in group[start : start + 50]:
                        if rng.random() < 0.7:
                            self.attend(visit, member, Attendance.Status.PRESENT, Attendance.Channel.QR)

        # Live lectures with replays: online reaches mobile and new-sector members best.
        min_minutes = 30
        for month in (2, 4, 6, 8, 10, 12):
            day = date(YEAR, month, 18)
            session = self.new_session(
                course=self.courses["live"], kind=Session.Kind.LIVE_LECTURE, starts_at=aware(day, 19),
                minutes=90, organiser=self.root, venue=online, mode=DeliveryMode.LIVE,
                title=f"线上直播专题课：{TOPICS[month]}", stream_url="https://live.example.org/jiangbei",
                replay_url="https://live.example.org/jiangbei/replay", replay_until=day + timedelta(days=60),
                lecturer=rng.choice(self.lecturers),
            )
            for member in self.reached:
                chance = 0.5 if member.is_mobile else 0.3 if member.category == Category.NEW_SECTOR else 0.12
                if member.is_elderly:
                    chance = 0.03
                if rng.random() < chance:
                    live = rng.random() < 0.6
                    minutes = rng.randint(20, 90)
                    status = Attendance.Status.PRESENT if minutes >= min_minutes else Attendance.Status.LEFT_EARLY
                    self.attend(session, member, status,
                                Attendance.Channel.LIVE if live else Attendance.Channel.REPLAY,
                                minutes=minutes, hours=None if minutes >= min_minutes else self.adapt_hours(Decimal("0")))

        # 冬训: one blended session per community / enterprise unit in January.
        for unit in self.level2:
            day = date(YEAR, 1, rng.randint(6, 24))
            session = self.new_session(
                course=self.courses["winter"], kind=Session.Kind.CLASS, starts_at=aware(day, 9), minutes=180,
                organiser=unit, venue=self.venue_for_org.get(unit.pk), mode=DeliveryMode.BLENDED, capacity=200,
                title=f"{YEAR}年冬训·{unit.name}",
            )
            session._unit = unit
            for branch_pk in self.branch_pks_under(unit):
                for member in self.members_by_branch[branch_pk]:
                    if member.pk in self.unreached or rng.random() > 0.45:
                        continue
                    channel = Attendance.Channel.IMPORT if rng.random() < 0.4 else Attendance.Channel.ROSTER
                    self.attend(session, member, self.attended_status(), channel)

    def branch_pks_under(self, unit: Organisation) -> list[int]:
        if not hasattr(self, "_branches_by_parent"):
            self._branches_by_parent = defaultdict(list)
            for branch in self.branches:
                self._branches_by_parent[branch.parent_id].append(branch.pk)
        return self._branches_by_parent[unit.pk]

    def build_branch_life(self) -> None:
        """三会一课 and 主题党日 for every branch, with make-up study and 送学上门."""
        rng = self.rng
        C = self.courses
        makeup_sessions: dict[int, list[Session]] = {}
        home_sessions: dict[int, list[Session]] = {}
        for unit in self.level2:
            venue = self.venue_for_org.get(unit.pk)
            makeup_sessions[unit.pk] = [
                self.new_session(course=C["makeup"], kind=Session.Kind.CLASS, starts_at=aware(date(YEAR, month, 26), 19),
                                 minutes=90, organiser=unit, venue=venue, mode=DeliveryMode.OFFLINE,
                                 title=f"{unit.name}主题党日集中补学（{month}月）")
                for month in (3, 6, 9, 12)
            ]
            home_sessions[unit.pk] = [
                self.new_session(course=C["home"], kind=Session.Kind.CLASS, starts_at=aware(date(YEAR, month, 12), 9),
                                 minutes=60, organiser=unit, venue=None, mode=DeliveryMode.OFFLINE,
                                 title=f"{unit.name}送学上门（第{quarter}季度）")
                for quarter, month in enumerate((2, 5, 8, 11), start=1)
            ]
        for branch in self.branches:
            members = self.members_by_branch[branch.pk]
            if not members:
                continue
            venue = self.venue_for_org.get(branch.parent_id)
            day_of_month = rng.randint(5, 25)
            leaders = [m for m in members if m.is_leading]
            meetings: list[tuple[Session, bool]] = []  # (session, leaders only)
            start = partial(self.meeting_start, venue)
            for month in range(1, 13):
                day = date(YEAR, month, day_of_month)
                meetings.append((self.new_session(
                    course=C["theme_day"], kind=Session.Kind.THEME_DAY, starts_at=start(day, 120, (14, 30)),
                    minutes=120, organiser=branch, venue=venue, mode=DeliveryMode.OFFLINE, title=f"{month}月主题党日",
                    first_topic="学习习近平总书记最新重要讲话精神",
                ), False))
                if len(leaders) > 1:
                    meetings.append((self.new_session(
                        course=C["committee_meeting"], kind=Session.Kind.COMMITTEE_MEETING,
                        starts_at=start(day - timedelta(days=3), 90, (16, 0)), minutes=90, organiser=branch,
                        venue=venue, mode=DeliveryMode.OFFLINE, title=f"{month}月支委会",
                        first_topic="传达学习上级最新部署",
                    ), True))
            for quarter, month in enumerate((3, 6, 9, 12), start=1):
                meetings.append((self.new_session(
                    course=C["general_meeting"], kind=Session.Kind.GENERAL_MEETING,
                    starts_at=start(date(YEAR, month, min(day_of_month + 2, 28)), 90, (15, 0)), minutes=90,
                    organiser=branch, venue=venue, mode=DeliveryMode.OFFLINE, title=f"第{quarter}季度支部党员大会",
                ), False))
                meetings.append((self.new_session(
                    course=C["party_lecture"], kind=Session.Kind.PARTY_LECTURE,
                    starts_at=start(date(YEAR, month - 1, min(day_of_month + 1, 28)), 120, (15, 0)), minutes=120,
                    organiser=branch, venue=venue, mode=DeliveryMode.OFFLINE,
                    title="书记讲党课" if quarter == 4 else f"第{quarter}季度党课",
                ), False))
            for key, kind, title, day in (
                ("org_life_meeting", Session.Kind.ORG_LIFE_MEETING, "年度组织生活会", date(YEAR, 12, 20)),
                ("democratic_review", Session.Kind.DEMOCRATIC_REVIEW, "民主评议党员", date(YEAR, 12, 22)),
            ):
                meetings.append((self.new_session(
                    course=C[key], kind=kind, starts_at=start(day, 120, (14, 30)), minutes=120, organiser=branch,
                    venue=venue, mode=DeliveryMode.OFFLINE, title=title,
                ), False))
            self.attend_branch_meetings(branch, members, meetings, makeup_sessions, home_sessions)

    def attend_branch_meetings(self, branch, members, meetings, makeup_sessions, home_sessions) -> None:
        rng = self.rng
        A = Attendance
        unit_pk = branch.parent_id
        for member in members:
            reached = member.pk not in self.unreached
            rows: list[tuple] = []
            if member.is_elderly:
                if not reached:
                    continue  # no hard requirement: no absences are recorded for them
                # Study is brought home; meetings only now and then.
                for session in home_sessions.get(unit_pk, []):
                    if rng.random() < 0.8:
                        rows.append(self.row(session, member, A.Status.PRESENT, A.Channel.HOME))
                chance = 0.15
            elif member.is_mobile:
                chance = 0.25
            else:
                chance = 0.95 if member.is_leading else 0.82
            missed: list[Session] = []
            for session, leaders_only in meetings:
                if leaders_only and not member.is_leading:
                    continue
                if reached and rng.random() < chance:
                    channel = A.Channel.QR if rng.random() < 0.4 else A.Channel.ROSTER
                    rows.append(self.row(session, member, self.attended_status(), channel))
                elif not member.is_elderly and rng.random() < 0.8:
                    status = A.Status.EXCUSED if rng.random() < 0.45 else A.Status.ABSENT
                    rows.append(self.row(session, member, status, A.Channel.ROSTER))
                    if session.kind == Session.Kind.THEME_DAY:
                        missed.append(session)
            if reached:
                used: set[int] = set()
                for session in missed:
                    quarter = (timezone.localtime(session.starts_at).month - 1) // 3
                    makeup = makeup_sessions[unit_pk][quarter]
                    if makeup.pk not in used and rng.random() < 0.3:
                        used.add(makeup.pk)
                        rows.append(self.row(makeup, member, A.Status.PRESENT, A.Channel.MAKEUP, makeup_for=session))
                if member.pk not in self.attended_elsewhere:
                    # The decision says reached, so a row must say so: the first theme day.
                    first_theme_day = meetings[0][0]
                    rows = [row for row in rows if row[0] != first_theme_day.pk]
                    rows.append(self.row(first_theme_day, member, A.Status.PRESENT, A.Channel.ROSTER))
            for row in rows:
                self.attendance.add(row)

    def build_upcoming(self) -> None:
        """A few weeks of scheduled sessions from today, so the demo has work to do."""
        today = timezone.localdate()
        school = self.school_rooms()
        for offset in (5, 12, 19):
            day = today + timedelta(days=offset)
            while day.weekday() >= 5:
                day += timedelta(days=1)
            session = self.new_session(
                course=self.courses["ps_community"], kind=Session.Kind.CLASS, starts_at=aware(day, 14), minutes=180,
                organiser=self.root, venue=self.free_room(school, aware(day, 14), 180), mode=DeliveryMode.BLENDED,
                capacity=60,
                title=f"万名党员进党校·基层治理专题（{day.month}月{day.day}日）",
                stream_url="https://live.example.org/jiangbei",
            )
            self.upcoming_enrolments = getattr(self, "upcoming_enrolments", [])
            community_members = [m for m in self.active if m.category == Category.COMMUNITY and not m.is_elderly]
            for member in self.rng.sample(community_members, min(40, len(community_members))):
                self.upcoming_enrolments.append(Enrolment(session_id=session.pk, member_id=member.pk,
                                                          source=Enrolment.Source.COHORT))
        next_month = (today.replace(day=1) + timedelta(days=32)).replace(day=10)
        for branch in self.branches:
            venue = self.venue_for_org.get(branch.parent_id)
            self.new_session(
                course=self.courses["theme_day"], kind=Session.Kind.THEME_DAY,
                starts_at=self.meeting_start(venue, next_month, 120, (14, 30)), minutes=120, organiser=branch,
                venue=venue, mode=DeliveryMode.OFFLINE, title=f"{next_month.month}月主题党日",
            )

    def flush_sessions(self) -> None:
        # Sessions must exist before attendance rows reference them (foreign keys are checked).
        Session.objects.bulk_create(self.sessions, batch_size=2000)
        Enrolment.objects.bulk_create(getattr(self, "upcoming_enrolments", []), batch_size=2000)

    # --- lectures, users -------------------------------------------------------------------------

    def move_lectures_apart(self, lectures: list[Lecture], speakers: list[Lecturer]) -> None:
        """Move a lecture a day on while its lecturer or venue is taken (by a session or an earlier
        lecture), as the dispatch rules would: the demo never double-books either."""
        busy: dict[tuple, list[tuple[datetime, datetime]]] = defaultdict(list)
        for session in self.sessions:
            if session.lecturer_id:
                busy[("lecturer", session.lecturer_id)].append((session.starts_at, session.ends_at))
            if session.venue is not None:
                busy[("venue", session.venue.name)].append((session.starts_at, session.ends_at))
        for lecture, speaker in zip(lectures, speakers, strict=True):
            keys = [("lecturer", speaker.pk)] + ([("venue", lecture.venue.name)] if lecture.venue else [])
            while any(lecture.starts_at < end and start < lecture.ends_at for key in keys for start, end in busy[key]):
                lecture.starts_at += timedelta(days=1)
                lecture.ends_at += timedelta(days=1)
            for key in keys:
                busy[key].append((lecture.starts_at, lecture.ends_at))

    def build_lectures(self) -> None:
        rng = self.rng
        streets = [org for org in self.level1 if org.kind == Organisation.Kind.STREET]
        communities = [org for org in self.level2 if org.kind == Organisation.Kind.COMMITTEE and org.sector == Organisation.Sector.AREA] or self.level2
        scenes = Scene.values
        lectures = []
        now = timezone.now()
        for index in range(self.scale.lectures):
            street = streets[index % len(streets)]
            day = date(YEAR, 1, 1) + timedelta(days=rng.randint(0, 360))
            scene = rng.choice(scenes)
            starts_at = aware(day, rng.choice([9, 10, 14, 15, 19]))
            if street.name.startswith("葛塘") and index % 3 == 0:
                scene, venue = Scene.FIELD, self.venues["葛塘街道草莓大棚宣讲点"]
            elif street.name.startswith("研创园"):
                scene, venue = Scene.MEETING_ROOM, self.venues["研创园“研习时光”"]
            else:
                venue = None
            lectures.append(Lecture(
                topic=rng.choice(TOPICS), scene=scene, venue=venue, street=street,
                location="" if venue else f"{street.name.removesuffix('党工委')}{rng.choice(PLACE_WORDS)}",
                starts_at=starts_at, ends_at=starts_at + timedelta(minutes=rng.choice([45, 60, 90])),
                audience_headcount=rng.randint(20, 180), dialect=rng.choice(DIALECTS),
            ))
        speakers = [self.lecturers[0] if index % 6 == 0 else rng.choice(self.lecturers) for index in range(len(lectures))]
        self.move_lectures_apart(lectures, speakers)
        Lecture.objects.bulk_create(lectures)
        through = Lecture.lecturers.through
        through.objects.bulk_create([
            through(lecture_id=lecture.pk, lecturer_id=speaker.pk) for lecture, speaker in zip(lectures, speakers, strict=True)
        ])
        S = LectureRequest.State
        requests = []
        for index in range(self.scale.lecture_requests):
            requester = communities[index % len(communities)]
            start = aware(date(YEAR, 1, 1) + timedelta(days=rng.randint(0, 360)), 14)
            state = rng.choice([S.ORDERED, S.DISPATCHED, S.ACCEPTED, S.DELIVERED, S.DELIVERED, S.DECLINED])
            ordered_at = start - timedelta(days=20)
            request = LectureRequest(
                requester=requester, requester_kind=LectureRequest.RequesterKind.COMMUNITY,
                topic=rng.choice(TOPICS), scene=rng.choice(scenes), preferred_start=start,
                preferred_end=start + timedelta(hours=2), expected_audience=rng.randint(30, 150), state=state,
                ordered_at=ordered_at,
            )
            if state != S.ORDERED:
                # Every fourth request goes to the lecturer with the demo login.
                request.lecturer = self.lecturers[0] if index % 4 == 0 else rng.choice(self.lecturers)
                request.dispatched_at = ordered_at + timedelta(days=2)
            if state in (S.ACCEPTED, S.DECLINED, S.DELIVERED):
                request.answered_at = ordered_at + timedelta(days=3)
            if state == S.DELIVERED:
                request.delivered_at = min(start, now)
            requests.append(request)
        LectureRequest.objects.bulk_create(requests)
        services = []
        kinds = VolunteerService.Kind.values
        for index in range(self.scale.volunteer_services):
            member = rng.choice(self.reached)
            services.append(VolunteerService(
                member=member if index % 4 else None, team_name="" if index % 4 else "党员先锋志愿服务队",
                kind=kinds[index % len(kinds)], street=streets[index % len(streets)],
                date=date(YEAR, 1, 1) + timedelta(days=rng.randint(0, 360)),
                hours=Decimal(rng.choice(["1.5", "2", "3", "4"])), beneficiaries=rng.randint(1, 60),
                lecture=rng.choice(lectures) if index % 5 == 0 else None,
            ))
        VolunteerService.objects.bulk_create(services, batch_size=2000)

    def build_users(self) -> None:
        """Demo logins, one per role, all with the documented demo password."""
        User = get_user_model()
        getang = next(org for org in self.level1 if org.name.startswith("葛塘"))
        getang_branch = next(b for b in self.branches if b.path.startswith(getang.path))
        other_branch = next(b for b in self.branches if not b.path.startswith(getang.path))
        requester_org = next(org for org in self.level2 if org.path.startswith(getang.path))
        specs = [
            ("admin", "系统管理员", None, None),
            ("leader", "新区领导", Grant.Role.LEADER, self.root),
            ("organiser", "新区组织部", Grant.Role.ORGANISER, self.root),
            ("getang", "葛塘街道组织委员", Grant.Role.ORGANISER, getang),
            ("secretary", "支部书记", Grant.Role.SECRETARY, getang_branch),
            ("secretary2", "另一支部书记", Grant.Role.SECRETARY, other_branch),
            ("lecturer", "宣讲员", Grant.Role.LECTURER, self.root),
            ("requester", "社区书记（点单）", Grant.Role.REQUESTER, requester_org),
            ("auditor", "安全审计员", Grant.Role.AUDITOR, self.root),
        ]
        for username, first_name, role, organisation in specs:
            user = User(username=username, first_name=first_name, is_staff=role is None, is_superuser=role is None)
            user.set_password(DEMO_PASSWORD)
            user.save()
            if role:
                Grant.objects.create(user=user, role=role, organisation=organisation)
        lecturer = self.lecturers[0]
        lecturer.user = User.objects.get(username="lecturer")
        lecturer.save(update_fields=["user"])

    def reset_sequences(self) -> None:
        """Explicit primary keys were used: move PostgreSQL's sequences past them."""
        statements = connection.ops.sequence_reset_sql(no_style(), [Organisation, Member, Session])
        with connection.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement)

    def counts(self) -> dict[str, object]:
        return district_figures(YEAR) | {
            "organisations": len(self.orgs),
            "branches": len(self.branches),
            "members": len(self.members),
            "sessions": len(self.sessions),
            "attendance_rows": self.attendance.count,
            "venues": Venue.objects.count(),
            "lecturers": len(self.lecturers),
            "lectures": self.scale.lectures,
            "lecture_requests": self.scale.lecture_requests,
            "volunteer_services": self.scale.volunteer_services,
        }


def district_figures(year: int) -> dict[str, int]:
    """The article's two figures, counted from raw attendance."""
    attended = Attendance.objects.filter(year=year, attended=True)
    return {
        "members_reached": attended.values("member").distinct().count(),
        "secretary_person_times": attended.filter(
            programme__kind=Programme.Kind.SECRETARY_TRAINING
        ).count(),
    }


def unreached_rate(flag: str, year: int = YEAR) -> float:
    """Share of active members with ``flag`` not reached in ``year`` (for checks and tests)."""
    members = Member.objects.active().filter(**{flag: True})
    total = members.count()
    if not total:
        return math.nan
    reached = members.filter(attendances__year=year, attendances__attended=True).distinct().count()
    return 1 - reached / total
