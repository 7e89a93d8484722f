"""Synthetic but realistic data for the benchmark: `populate(n)` fills the current database with `n`
recommendations and what follows them up, fast (bulk inserts with explicit keys, no per-row ORM
saves).

What it writes, in plausible proportions:

- the shipped vocabularies (states, mechanisms, themes, affected groups, SDGs) are used as the
  migrations load them; nothing is invented there;
- organisations: a coordinating body, 30 state bodies, 10 civil-society organisations, an NHRI;
  users: an administrator, a coordinator, one focal point per state body, one contributor per
  organisation of civil society, a monitor and a viewer (all with the same password, `PASSWORD`);
- source documents: UPR reviews (one per session) and concluding observations of the treaty
  bodies (CAT, CCPR, CESCR, CEDAW, CRC, CRPD), about 400 recommendations each, all about the
  instance's default state (250,000 recommendations for one state is a scale, not a history);
- recommendations in English, Russian and Tajik (a share has all three, the rest one or two), built
  from word lists, with recommending states (UPR), positions, statuses, 1–3 themes, 0–2 affected
  groups, 0–2 SDG targets with their goals, 85 % published (no creation entries in the audit log:
  appending to the hash-chained log is the slowest part, and its size hardly matters to the pages
  measured); the search document is built as `Recommendation.build_search_document` builds it
  (checked on the first rows); on SQLite the FTS5 index is rebuilt once at the end
  (`search.ensure`), on PostgreSQL the GIN expression index follows the inserts, then VACUUM
  ANALYZE (autovacuum would have; SQLite gets no statistics, as the application gathers none);
- follow-up: 20 % assigned to a state body, most with a progress report in some state of its
  workflow, 5 % with an independent assessment of civil society; one creation entry in the audit
  log per record;
- one recommendation (`Population.long_timeline_id`) with a long timeline: hundreds of progress
  reports, actions, assessments, replies and audit entries.

Search terms: `SEARCH_TERMS` names a rare and a common term in Latin and in Cyrillic script; the
rare ones occur in about one recommendation in ten thousand.
"""

import hashlib
import random
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.contrib.auth.hashers import make_password
from django.core.management.color import no_style
from django.db import connection, models, transaction
from django.utils import timezone

from adolat.accounts.models import Membership, Organisation, Role, User
from adolat.followup.models import (
    Action,
    Assessment,
    AssessmentReply,
    Assignment,
    ProgressReport,
    ReportingPeriod,
)
from adolat.lib import audit, bulk
from adolat.lib.models import AuditEntry
from adolat.lib.text import fold
from adolat.recommendations import search
from adolat.recommendations.models import (
    AffectedGroup,
    Country,
    Mechanism,
    Position,
    Recommendation,
    SdgTarget,
    SourceDocument,
    Status,
    Theme,
)

PASSWORD = "bench password 42"  # noqa: S105 — synthetic accounts of a throw-away database
DEFAULT_SEED = 20260101

SEARCH_TERMS = {
    "latin_rare": "zarafshon",
    "latin_common": "rights",
    "cyrillic_rare": "ягноб",
    "cyrillic_common": "права",
}
RARE_SHARE = 1 / 10_000

# --- Word lists -----------------------------------------------------------------------------------

EN_VERBS = [
    "Ensure",
    "Strengthen",
    "Adopt",
    "Take measures to guarantee",
    "Continue its efforts to promote",
    "Consider ratifying instruments on",
    "Guarantee",
    "Establish a mechanism for",
    "Promote",
    "Combat violations of",
    "Improve",
    "Intensify efforts on",
    "Review legislation on",
    "Allocate resources for",
    "Protect",
]
EN_OBJECTS = [
    "the rights of women and girls",
    "access to justice for all",
    "freedom of expression and of the media",
    "the independence of the judiciary",
    "the prevention of torture in places of detention",
    "the rights of migrant workers and their families",
    "inclusive education for children with disabilities",
    "access to safe drinking water and sanitation",
    "the national human rights institution in line with the Paris Principles",
    "gender equality in employment and political life",
    "victims of domestic violence",
    "freedom of religion or belief",
    "the rights of persons with disabilities",
    "birth registration of every child",
    "the right to health in rural areas",
    "the rights of refugees and stateless persons",
    "freedom of peaceful assembly and association",
    "the fight against trafficking in persons",
    "juvenile justice and the rights of the child",
    "labour rights and decent work",
]
EN_TAILS = [
    "in line with its international human rights obligations",
    "in particular in rural areas",
    "and allocate adequate human and financial resources",
    "with the meaningful participation of civil society",
    "through legislative and policy measures",
    "including by amending the Criminal Code",
    "and report on progress in its next periodic report",
    "in cooperation with the United Nations country team",
    "by adopting a comprehensive national action plan",
    "and ensure that all human rights defenders can work freely",
]
RU_VERBS = [
    "Обеспечить",
    "Укрепить",
    "Принять меры для защиты",
    "Продолжить усилия по поощрению",
    "Рассмотреть вопрос о ратификации документов о",
    "Гарантировать",
    "Создать механизм для",
    "Поощрять",
    "Бороться с нарушениями",
    "Улучшить",
    "Активизировать работу по",
    "Пересмотреть законодательство о",
    "Выделить ресурсы на",
]
RU_OBJECTS = [
    "права женщин и девочек",
    "доступ к правосудию для всех",
    "свободу выражения мнений и средств массовой информации",
    "независимость судебной власти",
    "предупреждение пыток в местах лишения свободы",
    "права трудящихся-мигрантов и членов их семей",
    "инклюзивное образование для детей-инвалидов",
    "доступ к безопасной питьевой воде и санитарии",
    "национальное правозащитное учреждение в соответствии с Парижскими принципами",
    "гендерное равенство в сфере занятости",
    "жертв насилия в семье",
    "свободу религии или убеждений",
    "права инвалидов",
    "регистрацию рождения каждого ребенка",
    "право на здоровье в сельских районах",
    "права беженцев и лиц без гражданства",
    "свободу мирных собраний и ассоциаций",
    "борьбу с торговлей людьми",
    "ювенальную юстицию и права ребенка",
]
RU_TAILS = [
    "в соответствии со своими международными обязательствами в области прав человека",
    "в особенности в сельской местности",
    "и выделить достаточные людские и финансовые ресурсы",
    "при активном участии гражданского общества",
    "посредством законодательных и политических мер",
    "в том числе путем внесения изменений в Уголовный кодекс",
    "и сообщить о достигнутом прогрессе в следующем периодическом докладе",
    "в сотрудничестве со страновой группой Организации Объединенных Наций",
    "путем принятия всеобъемлющего национального плана действий",
]
TG_VERBS = [
    "Таъмин намудани",
    "Тақвият додани",
    "Қабул кардани чораҳо барои ҳифзи",
    "Идома додани талошҳо оид ба пешбурди",
    "Баррасии масъалаи тасвиби санадҳо оид ба",
    "Кафолат додани",
    "Таъсис додани механизм барои",
    "Мубориза бо вайронкунии",
    "Беҳтар намудани",
    "Аз нав дида баромадани қонунгузорӣ оид ба",
]
TG_OBJECTS = [
    "ҳуқуқи занон ва духтарон",
    "дастрасӣ ба адолати судӣ барои ҳама",
    "озодии баён ва васоити ахбори омма",
    "мустақилияти ҳокимияти судӣ",
    "пешгирии шиканҷа дар ҷойҳои маҳрумият аз озодӣ",
    "ҳуқуқи муҳоҷирони меҳнатӣ ва аъзои оилаҳои онҳо",
    "таҳсилоти фарогир барои кӯдакони дорои маъюбӣ",
    "дастрасӣ ба оби нӯшокии бехатар",
    "баробарии гендерӣ дар шуғл",
    "қурбониёни зӯроварии хонаводагӣ",
    "озодии виҷдон ва эътиқод",
    "ҳуқуқи шахсони дорои маъюбӣ",
    "бақайдгирии таваллуди ҳар як кӯдак",
    "ҳуқуқ ба саломатӣ дар деҳот",
    "мубориза бар зидди хариду фурӯши одамон",
]
TG_TAILS = [
    "мутобиқи ӯҳдадориҳои байналмилалии худ дар соҳаи ҳуқуқи инсон",
    "махсусан дар минтақаҳои деҳот",
    "ва ҷудо кардани захираҳои кофии инсонӣ ва молиявӣ",
    "бо иштироки фаъоли ҷомеаи шаҳрвандӣ",
    "тавассути чораҳои қонунгузорӣ ва сиёсӣ",
    "аз ҷумла бо ворид намудани тағйирот ба Кодекси ҷиноятӣ",
    "дар ҳамкорӣ бо гурӯҳи кишварии Созмони Милали Муттаҳид",
]
# Places and names: a long tail of distinct words in both scripts, as real texts have.
_SYLLABLES_LATIN = [
    "ka",
    "ra",
    "shon",
    "dar",
    "vo",
    "khu",
    "ja",
    "ni",
    "bod",
    "ob",
    "sar",
    "dush",
    "mur",
    "gul",
]
_SYLLABLES_CYRILLIC = [
    "ка",
    "ра",
    "шон",
    "дар",
    "во",
    "ху",
    "ҷа",
    "ни",
    "бод",
    "об",
    "сар",
    "душ",
    "мур",
    "гул",
]
REPORT_TEXTS = [
    "The ministry drafted amendments and held consultations with civil society in three regions.",
    "Министерство подготовило поправки и провело консультации с гражданским обществом.",
    "Вазорат лоиҳаи тағйиротро омода намуд ва бо ҷомеаи шаҳрвандӣ машваратҳо гузаронд.",
    "Training was delivered to 240 judges and prosecutors; a monitoring plan is being prepared.",
    "Проведено обучение 240 судей и прокуроров; готовится план мониторинга.",
]
ASSESSMENT_TEXTS = [
    "Our monitoring in Khatlon and Sughd found no change in practice so far.",
    "Наш мониторинг показал, что закон принят, но не применяется на практике.",
    "Мониторинги мо нишон дод, ки қонун қабул шудааст, вале дар амал татбиқ намешавад.",
]

TB_SYMBOLS = {
    "CAT": "CAT/C/TJK/CO",
    "CCPR": "CCPR/C/TJK/CO",
    "CESCR": "E/C.12/TJK/CO",
    "CEDAW": "CEDAW/C/TJK/CO",
    "CRC": "CRC/C/TJK/CO",
    "CRPD": "CRPD/C/TJK/CO",
    "CERD": "CERD/C/TJK/CO",
    "CMW": "CMW/C/TJK/CO",
    "CED": "CED/C/TJK/CO",
    "SPT": "CAT/OP/TJK",
    "SP": "A/HRC/TJK/SP",
    "DIALOGUE": "ADOLAT/DIALOGUE",
    "OMBUDSMAN": "ADOLAT/OMBUDSMAN",
}
MECHANISM_WEIGHTS = {"UPR": 55, "CAT": 5, "CCPR": 6, "CESCR": 5, "CEDAW": 6, "CRC": 6, "CRPD": 4}
POSITIONS = [
    (Position.SUPPORTED, 60),
    (Position.SUPPORTED_IN_PART, 5),
    (Position.NOTED, 25),
    (Position.PENDING, 3),
    (Position.NOT_APPLICABLE, 7),
]
STATUSES = [
    (Status.NOT_STARTED, 45),
    (Status.IN_PROGRESS, 30),
    (Status.PARTIALLY_IMPLEMENTED, 12),
    (Status.IMPLEMENTED, 8),
    (Status.NOT_IMPLEMENTED, 3),
    (Status.NO_LONGER_APPLICABLE, 2),
]


@dataclass
class Population:
    """What `populate` made, for the benchmark to find its way."""

    n: int
    seed: int
    country: str
    coordinator_id: int
    administrator_id: int
    focal_point_id: int
    cso_contributor_id: int
    viewer_id: int
    long_timeline_id: int
    detail_ids: list[int] = field(default_factory=list)  # published recommendations spread over the ids
    assignment_count: int = 0
    report_count: int = 0
    assessment_count: int = 0
    audit_count: int = 0
    seconds: float = 0.0


# --- Fast inserts ---------------------------------------------------------------------------------


class _Ids:
    """Explicit primary keys handed out from the table's current maximum."""

    def __init__(self, model):
        agg = model.objects.aggregate(m=models.Max("pk"))["m"]
        self.next = (agg or 0) + 1

    def take(self) -> int:
        value = self.next
        self.next += 1
        return value


def _insert(model, rows: list[dict], *, batch: int = 5000) -> None:
    """INSERT `rows` (dicts by attname, primary key included) with adolat.lib.bulk.

    Every concrete column is written: a value the row lacks comes from the field's default (so a
    column added later with a default does not break the benchmark); `auto_now(_add)` fields get
    now. Values go through the field's `get_db_prep_save` where the database needs an adapter
    (dates, JSON, decimals)."""
    if not rows:
        return
    now = timezone.now()
    fields = list(model._meta.concrete_fields)
    converters = []
    for f in fields:
        needs_prep = not isinstance(f, _PLAIN_FIELDS)
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
            default = now
        elif f.has_default() and not callable(f.default):
            default = f.get_default()
        else:
            default = None
        if needs_prep and default is not None:
            default = f.get_db_prep_save(default, connection)
        callable_default = f.has_default() and callable(f.default) and not f.auto_created
        converters.append((f.attname, default, callable_default, needs_prep, f))

    def values_of(row: dict) -> list:
        values = []
        for attname, default, callable_default, needs_prep, f in converters:
            if attname in row:
                value = row[attname]
                if needs_prep and value is not None:
                    value = f.get_db_prep_save(value, connection)
            elif callable_default:
                value = f.get_db_prep_save(f.get_default(), connection)
            else:
                value = default
            values.append(value)
        return values

    # COPY on PostgreSQL, one prepared INSERT on SQLite (the importers' own way, adolat.lib.bulk).
    columns = [f.column for f in fields]
    for start in range(0, len(rows), batch):
        bulk.insert(
            connection, model._meta.db_table, columns, [values_of(row) for row in rows[start : start + batch]]
        )


_PLAIN_FIELDS = (
    models.CharField,
    models.TextField,
    models.IntegerField,
    models.BooleanField,
    models.ForeignKey,
    models.AutoField,
    models.BigAutoField,
    models.FloatField,
)


def _reset_sequences(model_list) -> None:
    if connection.vendor != "postgresql":
        return
    statements = connection.ops.sequence_reset_sql(no_style(), model_list)
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)


def _weighted(rng: random.Random, pairs, k: int) -> list:
    values, weights = zip(*pairs, strict=True)
    return rng.choices(values, weights=weights, k=k)


# --- Text ---------------------------------------------------------------------------------------


class _Texts:
    def __init__(self, rng: random.Random):
        self.rng = rng
        self._folded: dict[str, str] = {}
        self.places_latin = sorted(
            {"".join(rng.choice(_SYLLABLES_LATIN) for _ in range(3)).capitalize() for _ in range(3000)}
        )
        self.places_cyrillic = sorted(
            {"".join(rng.choice(_SYLLABLES_CYRILLIC) for _ in range(3)).capitalize() for _ in range(3000)}
        )

    def fold(self, fragment: str) -> str:
        """`adolat.lib.text.fold` of a fragment, remembered: folding works letter by letter, so the
        folded text is the folded fragments joined (checked against the real thing in populate)."""
        folded = self._folded.get(fragment)
        if folded is None:
            folded = self._folded[fragment] = fold(fragment)
        return folded

    def _sentence(self, verbs, objects, tails, places, joiner: str, rare: str | None) -> tuple[str, str]:
        r = self.rng
        parts = [r.choice(verbs), r.choice(objects)]
        if r.random() < 0.35:
            parts += [joiner, r.choice(objects)]
        parts.append(r.choice(tails))
        if r.random() < 0.5:
            parts.append(f"({r.choice(places)})")
        if rare:
            parts.append(rare)
        if r.random() < 0.4:
            parts.append(r.choice(tails))
        return " ".join(parts) + ".", " ".join(self.fold(p) for p in parts) + "."

    def en(self, rare: str | None = None) -> tuple[str, str]:
        return self._sentence(EN_VERBS, EN_OBJECTS, EN_TAILS, self.places_latin, "and", rare)

    def ru(self, rare: str | None = None) -> tuple[str, str]:
        return self._sentence(RU_VERBS, RU_OBJECTS, RU_TAILS, self.places_cyrillic, "и", rare)

    def tg(self, rare: str | None = None) -> tuple[str, str]:
        return self._sentence(TG_VERBS, TG_OBJECTS, TG_TAILS, self.places_cyrillic, "ва", rare)


# --- Reference data -------------------------------------------------------------------------------


def _organisations_and_users(rng: random.Random) -> dict:
    password = make_password(PASSWORD)
    coordinating = Organisation.objects.create(
        kind=Organisation.Kind.COORDINATING,
        name_en="Bench Executive Office",
        name_ru="Исполнительный аппарат (бенчмарк)",
        name_tg="Дастгоҳи иҷроия (бенчмарк)",
        acronym="BEO",
    )
    bodies = Organisation.objects.bulk_create(
        [
            Organisation(
                kind=Organisation.Kind.STATE_BODY,
                name_en=f"Bench Ministry {i}",
                name_ru=f"Министерство {i} (бенчмарк)",
                name_tg=f"Вазорати {i} (бенчмарк)",
                acronym=f"BM{i}",
            )
            for i in range(1, 31)
        ]
    )
    csos = Organisation.objects.bulk_create(
        [
            Organisation(
                kind=Organisation.Kind.CSO,
                name_en=f"Bench Coalition {i}",
                name_ru=f"Коалиция {i} (бенчмарк)",
                name_tg=f"Эътилофи {i} (бенчмарк)",
            )
            for i in range(1, 11)
        ]
    )
    nhri = Organisation.objects.create(kind=Organisation.Kind.NHRI, name_en="Bench Ombudsman")

    def user(email: str, org, role: str, **extra) -> User:
        u = User.objects.create(email=email, password=password, full_name=email.split("@")[0], **extra)
        Membership.objects.create(user=u, organisation=org, role=role)
        return u

    admin = user("administrator@bench.invalid", coordinating, Role.ADMINISTRATOR, is_staff=True)
    coordinator = user("coordinator@bench.invalid", coordinating, Role.COORDINATOR, language="en")
    focal_points = [user(f"focal{i}@bench.invalid", b, Role.FOCAL_POINT) for i, b in enumerate(bodies, 1)]
    contributors = [user(f"cso{i}@bench.invalid", c, Role.CSO_CONTRIBUTOR) for i, c in enumerate(csos, 1)]
    user("monitor@bench.invalid", nhri, Role.MONITOR)
    viewer = User.objects.create(email="viewer@bench.invalid", password=password)
    Membership.objects.create(user=viewer, organisation=nhri, role=Role.VIEWER)
    return {
        "coordinating": coordinating,
        "bodies": bodies,
        "csos": csos,
        "admin": admin,
        "coordinator": coordinator,
        "focal_points": focal_points,
        "contributors": contributors,
        "viewer": viewer,
    }


def _documents(country: Country, mechanisms: dict[str, Mechanism], n: int, rng: random.Random):
    """Enough source documents for about 400 recommendations each, in proportion to the mechanisms'
    weights; returns [(document, weight)]."""
    wanted = max(len(MECHANISM_WEIGHTS), n // 400)
    total = sum(MECHANISM_WEIGHTS.values())
    out = []
    upr_sessions = 0
    for code, weight in MECHANISM_WEIGHTS.items():
        count = max(1, round(wanted * weight / total))
        for i in range(1, count + 1):
            year = 2000 + (i * 26) // max(count, 1)
            if code == "UPR":
                upr_sessions += 1
                session = str(upr_sessions)
                cycle = 1 + (upr_sessions - 1) * 4 // max(count, 1)
                symbol = f"A/HRC/{upr_sessions + 7}/{rng.randint(3, 99)}/BENCH{i}"
                year = 2008 + (i * 18) // max(count, 1)
            else:
                session, cycle = "", None
                symbol = f"{TB_SYMBOLS[code]}/{i}/BENCH"
            out.append(
                SourceDocument(
                    mechanism=mechanisms[code],
                    country=country,
                    symbol=symbol,
                    title_en=f"Report {i} of the {mechanisms[code].name_en}",
                    title_ru=f"Доклад {i}",
                    title_tg=f"Гузориши {i}",
                    year=year,
                    date=date(year, 1 + i % 12, 1 + i % 28),
                    cycle=cycle,
                    session=session,
                )
            )
    return SourceDocument.objects.bulk_create(out)


# --- populate ---------------------------------------------------------------------------------------


def populate(n: int = 250_000, *, seed: int = DEFAULT_SEED, country: str | None = None) -> Population:
    """Fill the current (empty, migrated) database with `n` recommendations and their follow-up.

    Deterministic for a seed. Runs in one transaction per stage; on SQLite the FTS5 triggers index
    every row as it is inserted, on PostgreSQL the GIN index follows the column."""
    import time

    from django.conf import settings

    started = time.perf_counter()
    rng = random.Random(seed)  # noqa: S311 — synthetic data, reproducible by seed
    country_code = country or settings.ADOLAT_DEFAULT_COUNTRY
    texts = _Texts(rng)

    with transaction.atomic():
        state = Country.objects.get(pk=country_code)
        mechanisms = {m.code: m for m in Mechanism.objects.all()}
        themes = list(Theme.objects.values_list("pk", flat=True))
        groups = list(AffectedGroup.objects.values_list("pk", flat=True))
        targets = list(SdgTarget.objects.values_list("pk", "goal_id"))
        recommenders = list(
            Country.objects.exclude(pk=country_code).values_list("pk", "name_en", "name_ru", "name_tg")
        )
        if not (themes and groups and targets and recommenders and "UPR" in mechanisms):
            raise RuntimeError("The vocabularies are not loaded: run `adolat migrate` first.")
        # Some states recommend much more often than others.
        recommender_weights = [1 / (i + 1) ** 0.7 for i in range(len(recommenders))]
        rng.shuffle(recommenders)
        people = _organisations_and_users(rng)
        documents = _documents(state, mechanisms, n, rng)

    # Recommendations, with their many-to-many rows, in slices. On SQLite the FTS5 index is built
    # once at the end (search.ensure re-creates the trigger and rebuilds): indexing row by row
    # through the trigger is several times slower.
    # A throw-away database: no fsync while filling it (the connection's setting is restored).
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA synchronous")
            synchronous = cursor.fetchone()[0]
            cursor.execute("PRAGMA cache_size")
            cache_size = cursor.fetchone()[0]
            if not connection.in_atomic_block:  # SQLite refuses inside a transaction (tests)
                cursor.execute("PRAGMA synchronous = OFF")
            cursor.execute("PRAGMA cache_size = -262144")  # 256 MB for this connection
            cursor.execute(f"DROP TRIGGER IF EXISTS {search.FTS_TABLE}_ai")
    rec_ids = _Ids(Recommendation)
    first_id = rec_ids.next
    through = {
        name: Recommendation._meta.get_field(name).remote_field.through
        for name in ("recommending_states", "themes", "affected_groups", "sdg_goals", "sdg_targets")
    }
    through_ids = {name: _Ids(model) for name, model in through.items()}
    positions = _weighted(rng, POSITIONS, n)
    statuses = _weighted(rng, STATUSES, n)
    published_ids: list[int] = []
    all_ids: list[int] = []
    paragraph_counter: dict[int, int] = {}
    doc_weights = [1.0] * len(documents)
    doc_folded = {d.pk: [texts.fold(d.symbol), texts.fold(d.session)] for d in documents}
    upr = mechanisms["UPR"].pk
    slice_size = 10_000
    for start in range(0, n, slice_size):
        count = min(slice_size, n - start)
        recs, m2m = [], {name: [] for name in through}
        chosen_docs = rng.choices(documents, weights=doc_weights, k=count)
        for i in range(count):
            index = start + i
            doc = chosen_docs[i]
            pk = rec_ids.take()
            rare_latin = SEARCH_TERMS["latin_rare"] if rng.random() < RARE_SHARE else None
            rare_cyr = SEARCH_TERMS["cyrillic_rare"] if rng.random() < RARE_SHARE else None
            roll = rng.random()
            original = "en" if roll < 0.7 else ("ru" if roll < 0.9 else "tg")
            en = texts.en(rare_latin) if original == "en" or rng.random() < 0.6 else ("", "")
            ru = texts.ru(rare_cyr) if original == "ru" or rng.random() < 0.5 else ("", "")
            tg = (
                texts.tg(rare_cyr if not ru[0] else None)
                if original == "tg" or rng.random() < 0.3
                else ("", "")
            )
            if not en[0] and rare_latin:
                en = texts.en(rare_latin)
            paragraph_counter[doc.pk] = paragraph_counter.get(doc.pk, 0) + 1
            paragraph = f"{100 + paragraph_counter[doc.pk] // 150}.{1 + paragraph_counter[doc.pk] % 150}"
            states = []
            if doc.mechanism_id == upr:
                k = 1 if rng.random() < 0.8 else rng.randint(2, 4)
                states = list(
                    {s[0]: s for s in rng.choices(recommenders, weights=recommender_weights, k=k)}.values()
                )
            # As Recommendation.build_search_document builds it, from folded fragments.
            parts = [tg[1], ru[1], en[1], paragraph, *doc_folded[doc.pk]]
            parts += [texts.fold(name) for s in states for name in s[1:] if name]
            search_document = " ".join(p for p in parts if p)
            if index < 200:
                names = [name for s in states for name in s[1:]]
                expected = Recommendation(
                    text_tg=tg[0], text_ru=ru[0], text_en=en[0], paragraph=paragraph, document=doc
                ).build_search_document(names)
                if expected != search_document:
                    raise AssertionError(f"search document differs: {search_document!r} != {expected!r}")
            published = rng.random() < 0.85
            natural = hashlib.sha256(f"{seed}:{pk}:{en[0]}{ru[0]}{tg[0]}".encode()).hexdigest()
            recs.append(
                {
                    "id": pk,
                    "country_id": country_code,
                    "mechanism_id": doc.mechanism_id,
                    "document_id": doc.pk,
                    "paragraph": paragraph,
                    "text_tg": tg[0],
                    "text_ru": ru[0],
                    "text_en": en[0],
                    "original_language": original,
                    "position_note": "",
                    "position": positions[index] if doc.mechanism_id == upr else Position.NOT_APPLICABLE,
                    "status": statuses[index],
                    "year": doc.year,
                    "is_published": published,
                    "natural_key": natural,
                    "search_document": search_document,
                }
            )
            all_ids.append(pk)
            if published:
                published_ids.append(pk)
            for s in states:
                m2m["recommending_states"].append((pk, s[0]))
            for t in rng.sample(themes, rng.choice((1, 1, 2, 2, 3))):
                m2m["themes"].append((pk, t))
            for g in rng.sample(groups, rng.choice((0, 1, 1, 2))):
                m2m["affected_groups"].append((pk, g))
            goals = set()
            for t, goal in rng.sample(targets, rng.choice((0, 0, 1, 2))):
                m2m["sdg_targets"].append((pk, t))
                goals.add(goal)
            for goal in goals:
                m2m["sdg_goals"].append((pk, goal))
        with transaction.atomic():
            _insert(Recommendation, recs)
            for name, rows in m2m.items():
                model = through[name]
                fk_rec, fk_other = _through_fields(model)
                ids = through_ids[name]
                _insert(model, [{"id": ids.take(), fk_rec: a, fk_other: b} for a, b in rows])

    if connection.vendor == "sqlite":
        search.ensure()
    population = Population(
        n=n,
        seed=seed,
        country=country_code,
        coordinator_id=people["coordinator"].pk,
        administrator_id=people["admin"].pk,
        focal_point_id=people["focal_points"][0].pk,
        cso_contributor_id=people["contributors"][0].pk,
        viewer_id=people["viewer"].pk,
        long_timeline_id=published_ids[0] if published_ids else first_id,
    )
    step = max(1, len(published_ids) // 50)
    population.detail_ids = published_ids[::step][:50]

    with transaction.atomic():
        _followup(population, people, all_ids, published_ids, rng)
        _long_timeline(population, people, rng)
        _cso_ratings()
    _reset_sequences(
        [Recommendation, Assignment, ProgressReport, Assessment, Action, AssessmentReply, *through.values()]
    )
    # PostgreSQL's autovacuum would have vacuumed (it does after bulk inserts: the visibility map
    # index-only scans need) and analysed the tables of a database this size; SQLite has no
    # statistics unless the application gathers them (it does not), so none are gathered there.
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE" if not connection.in_atomic_block else "ANALYZE")
    else:
        with connection.cursor() as cursor:
            if not connection.in_atomic_block:
                cursor.execute(f"PRAGMA synchronous = {int(synchronous)}")
            cursor.execute(f"PRAGMA cache_size = {int(cache_size)}")
    population.seconds = time.perf_counter() - started
    return population


def _through_fields(model) -> tuple[str, str]:
    fks = [f for f in model._meta.concrete_fields if isinstance(f, models.ForeignKey)]
    rec = next(f for f in fks if f.related_model is Recommendation)
    other = next(f for f in fks if f is not rec)
    return rec.attname, other.attname


def _followup(population: Population, people: dict, all_ids, published_ids, rng) -> None:
    """Assignments to state bodies (20 % of the recommendations), progress reports in every state
    of the workflow, independent assessments (5 %), reporting periods; one audit entry each."""
    today = timezone.localdate()
    periods = ReportingPeriod.objects.bulk_create(
        [
            ReportingPeriod(
                title_en=f"{year}",
                starts=date(year, 1, 1),
                ends=date(year, 12, 31),
                due=date(year + 1, 2, 1),
            )
            for year in range(today.year - 4, today.year + 1)
        ]
    )
    bodies = people["bodies"]
    focal_points = people["focal_points"]
    coordinator = people["coordinator"]
    assigned = rng.sample(all_ids, len(all_ids) // 5)
    assignment_ids, report_ids, assessment_ids = _Ids(Assignment), _Ids(ProgressReport), _Ids(Assessment)
    assignments, reports, assessments, audits = [], [], [], []
    now = timezone.now()
    report_states = [
        (ProgressReport.State.DRAFT, 15),
        (ProgressReport.State.SUBMITTED, 20),
        (ProgressReport.State.RETURNED, 5),
        (ProgressReport.State.VALIDATED, 60),
    ]
    status_values = [s for s, _w in STATUSES]

    def log(obj_label: str, pk: int, action: str, actor: int) -> None:
        audits.append(
            AuditEntry(
                actor_id=actor,
                source=AuditEntry.Source.WEB,
                action=action,
                object_type=obj_label,
                object_id=str(pk),
            )
        )

    a_label, r_label, s_label = (
        Assignment._meta.label_lower,
        ProgressReport._meta.label_lower,
        Assessment._meta.label_lower,
    )
    for rec_id in assigned:
        body_index = rng.randrange(len(bodies))
        pk = assignment_ids.take()
        # Assigned over the years the periods cover, so that reports are owed and some overdue.
        created = now - timedelta(days=rng.randint(0, 365 * len(periods)), seconds=rng.randint(0, 86_399))
        owed = [p for p in periods if p.due > timezone.localdate(created)]
        assignments.append(
            {
                "id": pk,
                "recommendation_id": rec_id,
                "cluster_id": None,
                "lead_body_id": bodies[body_index].pk,
                "deadline": today + timedelta(days=rng.randint(-400, 700)),
                "note": "",
                "is_active": rng.random() < 0.95,
                "created_by_id": coordinator.pk,
                "created": created,
                "updated": created,
            }
        )
        log(a_label, pk, "create", coordinator.pk)
        if owed and rng.random() < 0.6:
            state = _weighted(rng, report_states, 1)[0]
            rpk = report_ids.take()
            reports.append(
                {
                    "id": rpk,
                    "assignment_id": pk,
                    "period_id": rng.choice(owed).pk,
                    "organisation_id": bodies[body_index].pk,
                    "author_id": focal_points[body_index].pk,
                    "state": state,
                    "text": rng.choice(REPORT_TEXTS),
                    "language": rng.choice(("tg", "ru", "en")),
                    "proposed_status": rng.choice(status_values),
                    "coordinator_comment": "Please add evidence." if state == "returned" else "",
                    "submitted_at": now if state != "draft" else None,
                    "validated_at": now if state == "validated" else None,
                    "validated_by_id": coordinator.pk if state == "validated" else None,
                    "supersedes_id": None,
                    "version": 1,
                }
            )
            log(r_label, rpk, "create", focal_points[body_index].pk)
    for rec_id in rng.sample(published_ids, len(published_ids) // 20):
        org_index = rng.randrange(len(people["csos"]))
        pk = assessment_ids.take()
        assessments.append(
            {
                "id": pk,
                "recommendation_id": rec_id,
                "organisation_id": people["csos"][org_index].pk,
                "author_id": people["contributors"][org_index].pk,
                "rating": rng.choice(status_values),
                "reasoning": rng.choice(ASSESSMENT_TEXTS),
                "language": rng.choice(("tg", "ru", "en")),
                "is_published": True,
            }
        )
        log(s_label, pk, "create", people["contributors"][org_index].pk)
    _insert(Assignment, assignments)
    _insert(ProgressReport, reports)
    _insert(Assessment, assessments)
    audit.record_many(audits)
    population.assignment_count = len(assignments)
    population.report_count = len(reports)
    population.assessment_count = len(assessments)
    population.audit_count = len(audits)


def _cso_ratings() -> None:
    """What the follow-up's services keep on each recommendation as assessments are published
    (Recommendation.cso_rating): the rating of its latest published assessment."""
    latest: dict[int, str] = {}
    for rec_id, rating in (
        Assessment.objects.filter(is_published=True)
        .order_by("recommendation_id", "-created", "-id")
        .values_list("recommendation_id", "rating")
        .iterator(chunk_size=5000)
    ):
        latest.setdefault(rec_id, rating)
    by_rating: dict[str, list[int]] = {}
    for rec_id, rating in latest.items():
        by_rating.setdefault(rating, []).append(rec_id)
    for rating, ids in by_rating.items():
        for start in range(0, len(ids), 500):
            Recommendation.objects.filter(pk__in=ids[start : start + 500]).update(cso_rating=rating)


def _long_timeline(population: Population, people: dict, rng) -> None:
    """One recommendation followed for years: 4 assignments, 300 progress reports, 60 actions,
    40 assessments with replies and 600 audit entries about it."""
    rec_id = population.long_timeline_id
    coordinator = people["coordinator"]
    bodies, focal_points = people["bodies"], people["focal_points"]
    today = timezone.localdate()
    assignment_ids, report_ids = _Ids(Assignment), _Ids(ProgressReport)
    action_ids, assessment_ids, reply_ids = _Ids(Action), _Ids(Assessment), _Ids(AssessmentReply)
    assignments, reports, actions, assessments, replies, audits = [], [], [], [], [], []
    status_values = [s for s, _w in STATUSES]
    for b in range(4):
        apk = assignment_ids.take()
        assignments.append(
            {
                "id": apk,
                "recommendation_id": rec_id,
                "cluster_id": None,
                "lead_body_id": bodies[b].pk,
                "deadline": today + timedelta(days=90 * b),
                "note": "Long-running assignment (benchmark).",
                "is_active": True,
                "created_by_id": coordinator.pk,
            }
        )
        for a in range(15):
            actions.append(
                {
                    "id": action_ids.take(),
                    "assignment_id": apk,
                    "title_en": f"Action {a + 1}: draft, consult, adopt and apply",
                    "title_ru": f"Мера {a + 1}",
                    "title_tg": f"Чораи {a + 1}",
                    "responsible_body_id": bodies[b].pk,
                    "starts": today - timedelta(days=30 * a),
                    "ends": today + timedelta(days=30 * a),
                }
            )
        previous = None
        for r in range(75):
            rpk = report_ids.take()
            state = "validated" if r < 74 else "submitted"
            reports.append(
                {
                    "id": rpk,
                    "assignment_id": apk,
                    "period_id": None,
                    "organisation_id": bodies[b].pk,
                    "author_id": focal_points[b].pk,
                    "state": "superseded" if state == "validated" and r < 73 else state,
                    "text": rng.choice(REPORT_TEXTS),
                    "language": rng.choice(("tg", "ru", "en")),
                    "proposed_status": rng.choice(status_values),
                    "coordinator_comment": "",
                    "submitted_at": timezone.now() - timedelta(days=(75 - r) * 10),
                    "validated_at": timezone.now() - timedelta(days=(75 - r) * 10 - 2)
                    if state == "validated"
                    else None,
                    "validated_by_id": coordinator.pk if state == "validated" else None,
                    "supersedes_id": previous,
                    "version": 1,
                }
            )
            previous = rpk
    for s in range(40):
        org_index = s % len(people["csos"])
        spk = assessment_ids.take()
        assessments.append(
            {
                "id": spk,
                "recommendation_id": rec_id,
                "organisation_id": people["csos"][org_index].pk,
                "author_id": people["contributors"][org_index].pk,
                "rating": rng.choice(status_values),
                "reasoning": rng.choice(ASSESSMENT_TEXTS),
                "language": "ru",
                "is_published": True,
            }
        )
        replies.append(
            {
                "id": reply_ids.take(),
                "assessment_id": spk,
                "organisation_id": bodies[s % 4].pk,
                "author_id": focal_points[s % 4].pk,
                "text": "Мы учли замечания / We took note.",
            }
        )
    label = Recommendation._meta.label_lower
    for i in range(600):
        audits.append(
            AuditEntry(
                actor_id=coordinator.pk,
                source=AuditEntry.Source.WEB,
                action="update",
                object_type=label,
                object_id=str(rec_id),
                summary=f"change {i}",
                changes={"status": ["not_started", "in_progress"]} if i % 2 else {"themes": [[1], [1, 2]]},
            )
        )
    _insert(Assignment, assignments)
    _insert(Action, actions)
    # A report may supersede an earlier one: insert in order so the reference exists.
    _insert(ProgressReport, reports)
    _insert(Assessment, assessments)
    _insert(AssessmentReply, replies)
    audit.record_many(audits)
    population.assignment_count += len(assignments)
    population.report_count += len(reports)
    population.assessment_count += len(assessments)
    population.audit_count += len(audits)
