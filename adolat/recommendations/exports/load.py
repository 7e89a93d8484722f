"""Load an open-data JSON file (docs/open-data.md) into this instance: the other half of the round
trip. The JSON export of a whole instance, loaded into an empty one, gives the same records.

Rules:
- the whole file is one transaction: with any error nothing is written, and every error names the
  record (its number in the `recommendations` list, from 1), the field and the value;
- vocabulary codes (states, mechanisms, themes, groups, SDG goals and targets) must exist here: a
  load never creates vocabulary entries;
- documents are matched by UN symbol, or by (mechanism, state, session) when they have none, and
  created when missing; a document already here is used as it is;
- recommendations are matched by natural key within (state under review, mechanism); the k-th
  record of the file with a key matches the k-th stored record with it, so records that share a key
  survive the round trip and a second load of the same file changes nothing. A record already
  here is left as it is (counted as unchanged): the load adds what is missing and never overwrites
  what people edited in this instance;
- created records keep the file's `created` and `updated` times.
"""

import datetime as dt
import json
from collections import defaultdict
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from adolat.recommendations.importers.base import ImportSummary, natural_key, shorten
from adolat.recommendations.models import (
    AffectedGroup,
    Country,
    Language,
    Mechanism,
    Position,
    Recommendation,
    SdgGoal,
    SdgTarget,
    SourceDocument,
    Status,
    Theme,
)
from adolat.recommendations.services import RecommendationData, recommendation_create, source_document_create

from .common import CHUNK_SIZE, identity_key, original_text, session_for_key
from .opendata import FORMAT_NAME, LANGUAGES

AUDIT_SOURCE = "import"
SUPPORTED_MAJOR = "1"


class _Rollback(Exception):
    pass


def _show(value) -> str:
    return shorten(json.dumps(value, ensure_ascii=False), 80)


@dataclass
class Vocabulary:
    """Every code a file may name, read once per load (the vocabularies are small)."""

    countries: dict[str, Country]
    mechanisms: dict[str, Mechanism]
    themes: dict[str, Theme]
    groups: dict[str, AffectedGroup]
    goals: dict[int, SdgGoal]
    targets: dict[str, SdgTarget]

    @classmethod
    def read(cls) -> "Vocabulary":
        return cls(
            countries=Country.objects.in_bulk(),
            mechanisms={m.code: m for m in Mechanism.objects.all()},
            themes={t.code: t for t in Theme.objects.all()},
            groups={g.code: g for g in AffectedGroup.objects.all()},
            goals=SdgGoal.objects.in_bulk(),
            targets={t.code: t for t in SdgTarget.objects.select_related("goal")},
        )


@dataclass
class Item:
    """A record of the file, checked and resolved, ready to be written."""

    number: int
    key: str
    document_key: tuple | None
    data: RecommendationData
    created: dt.datetime | None = None
    updated: dt.datetime | None = None


@dataclass
class DocumentItem:
    number: int  # the first record naming it
    described: dict
    document: SourceDocument


@dataclass
class Checker:
    """Checks one record after another, reporting every problem in `summary`."""

    vocab: Vocabulary
    summary: ImportSummary
    documents: dict[tuple, DocumentItem] = field(default_factory=dict)
    number: int = 0

    def error(self, message: str, **values) -> None:
        self.summary.add_error(self.number, message % {"record": self.number, **values})

    def bad_value(self, name: str, value) -> None:
        self.error(
            _('Record %(record)s, field "%(field)s": %(value)s is not a valid value.'),
            field=name,
            value=_show(value),
        )

    def unknown(self, name: str, value) -> None:
        self.error(
            _(
                'Record %(record)s, field "%(field)s": %(value)s is not a code of the vocabulary '
                "(a load never adds to the vocabularies: an administrator adds the entry first)."
            ),
            field=name,
            value=_show(value),
        )

    # --- values (`label` names the field in messages: "document.symbol") ---

    def string(self, record: dict, name: str, *, required: bool = False, label: str = "") -> str:
        label = label or name
        value = record.get(name)
        if value is None:
            if required:
                self.error(_('Record %(record)s: the field "%(field)s" is missing.'), field=label)
            return ""
        if not isinstance(value, str):
            self.bad_value(label, value)
            return ""
        return value

    def integer(self, record: dict, name: str, *, label: str = "") -> int | None:
        value = record.get(name)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            self.bad_value(label or name, value)
            return None
        return value

    def choice(self, record: dict, name: str, choices, default: str) -> str:
        if record.get(name) is None:
            return default
        value = self.string(record, name)
        if value not in choices:
            self.bad_value(name, record.get(name))
            return default
        return value

    def texts(self, record: dict, name: str, *, label: str = "") -> dict[str, str]:
        value = record.get(name)
        if value is None:
            return dict.fromkeys(LANGUAGES, "")
        if not isinstance(value, dict) or any(
            k not in LANGUAGES or not isinstance(v, str | None) for k, v in value.items()
        ):
            self.bad_value(label or name, value)
            return dict.fromkeys(LANGUAGES, "")
        return {code: value.get(code) or "" for code in LANGUAGES}

    def codes(self, record: dict, name: str, table: dict, *, kind: type = str) -> list:
        value = record.get(name)
        if value is None:
            return []
        if not isinstance(value, list):
            self.bad_value(name, value)
            return []
        out = {}
        for code in value:
            if not isinstance(code, kind) or isinstance(code, bool):
                self.bad_value(name, code)
            elif code not in table:
                self.unknown(name, code)
            else:
                out[code] = table[code]
        return list(out.values())

    def code(self, record: dict, name: str, table: dict, *, label: str = ""):
        value = self.string(record, name, required=True, label=label)
        if not value:
            return None
        if value not in table:
            self.unknown(label or name, value)
            return None
        return table[value]

    def moment(self, record: dict, name: str) -> dt.datetime | None:
        value = record.get(name)
        if value is None:
            return None
        parsed = None
        if isinstance(value, str):
            try:
                parsed = dt.datetime.fromisoformat(value)
            except ValueError:
                parsed = None
        if parsed is None or parsed.tzinfo is None:
            self.bad_value(name, value)
            return None
        return parsed

    def day(self, record: dict, name: str, *, label: str = "") -> dt.date | None:
        value = record.get(name)
        if value is None:
            return None
        if isinstance(value, str):
            try:
                return dt.date.fromisoformat(value)
            except ValueError:
                pass
        self.bad_value(label or name, value)
        return None

    # --- a document ---

    def document(self, record: dict) -> tuple | None:
        value = record.get("document")
        if value is None:
            return None
        if not isinstance(value, dict):
            self.bad_value("document", value)
            return None
        before = len(self.summary.errors)
        symbol = self.string(value, "symbol", label="document.symbol").strip()
        mechanism = self.code(value, "mechanism", self.vocab.mechanisms, label="document.mechanism")
        country = self.code(value, "country", self.vocab.countries, label="document.country")
        session = self.string(value, "session", label="document.session").strip()
        cycle = self.integer(value, "cycle", label="document.cycle")
        year = self.integer(value, "year", label="document.year")
        date = self.day(value, "date", label="document.date")
        titles = self.texts(value, "title", label="document.title")
        if len(self.summary.errors) > before:
            return None
        key = ("symbol", symbol) if symbol else ("session", mechanism.code, country.code, session)
        described = {
            "symbol": symbol,
            "mechanism": mechanism.code,
            "country": country.code,
            "session": session,
            "cycle": cycle,
            "year": year,
            "date": date,
            "titles": titles,
        }
        seen = self.documents.get(key)
        if seen is None:
            self.documents[key] = DocumentItem(
                number=self.number,
                described=described,
                document=SourceDocument(
                    mechanism=mechanism,
                    country=country,
                    symbol=symbol,
                    session=session,
                    cycle=cycle,
                    year=year,
                    date=date,
                    **{f"title_{code}": text for code, text in titles.items()},
                ),
            )
        elif seen.described != described:
            self.error(
                _(
                    'Record %(record)s, field "document": the document %(document)s is described '
                    "differently in record %(first)s."
                ),
                document=symbol or session or "—",
                first=seen.number,
            )
            return None
        return key

    # --- a recommendation ---

    def recommendation(self, number: int, record) -> Item | None:
        self.number = number
        if not isinstance(record, dict):
            self.error(_("Record %(record)s is not an object."))
            return None
        before = len(self.summary.errors)
        vocab = self.vocab
        country = self.code(record, "country", vocab.countries)
        mechanism = self.code(record, "mechanism", vocab.mechanisms)
        document_key = self.document(record)
        texts = self.texts(record, "text")
        if not any(t.strip() for t in texts.values()):
            self.error(_("Record %(record)s: the recommendation has no text in any language."))
        original = self.choice(record, "original_language", Language.values, Language.EN)
        states = self.codes(record, "recommending_states", vocab.countries)
        data = RecommendationData(
            country=country,
            mechanism=mechanism,
            paragraph=self.string(record, "paragraph"),
            text_tg=texts["tg"],
            text_ru=texts["ru"],
            text_en=texts["en"],
            original_language=original,
            position=self.choice(record, "position", Position.values, Position.NOT_APPLICABLE),
            position_note=self.string(record, "position_note"),
            status=self.choice(record, "status", Status.values, Status.NOT_STARTED),
            year=self.integer(record, "year"),
            recommending_states=states,
            themes=self.codes(record, "themes", vocab.themes),
            affected_groups=self.codes(record, "affected_groups", vocab.groups),
            sdg_goals=self.codes(record, "sdg_goals", vocab.goals, kind=int),
            sdg_targets=self.codes(record, "sdg_targets", vocab.targets),
        )
        published = record.get("is_published", False)
        if not isinstance(published, bool):
            self.bad_value("is_published", published)
        data.is_published = published is True
        key = self.string(record, "natural_key").strip()
        if len(key) > 64:
            self.bad_value("natural_key", key)
        created, updated = self.moment(record, "created"), self.moment(record, "updated")
        if len(self.summary.errors) > before:
            return None
        if not key:
            document = self.documents[document_key].described if document_key else None
            key = natural_key(
                country=country.code,
                session=session_for_key(document),
                recommending_states=[c.code for c in states],
                text=original_text(texts["tg"], texts["ru"], texts["en"], original),
            )
        data.natural_key = key
        return Item(
            number=number,
            key=key,
            document_key=document_key,
            data=data,
            created=created,
            updated=updated,
        )


def _read(data: bytes, summary: ImportSummary) -> list | None:
    """The `recommendations` list of an open-data file, or None with the reason in `summary`."""
    try:
        payload = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError) as exc:
        summary.add_error(
            None,
            _("This is not an Adolat open-data file: it cannot be read as JSON (%(reason)s).")
            % {"reason": exc},
        )
        return None
    if not isinstance(payload, dict) or payload.get("format") != FORMAT_NAME:
        found = payload.get("format") if isinstance(payload, dict) else None
        summary.add_error(
            None,
            _('This is not an Adolat open-data file: its "format" is %(value)s, expected "%(expected)s".')
            % {"value": _show(found), "expected": FORMAT_NAME},
        )
        return None
    version = str(payload.get("version", ""))
    if version.split(".")[0] != SUPPORTED_MAJOR:
        summary.add_error(
            None,
            _("The file is in version %(version)s of the open-data format; this Adolat reads version 1.")
            % {"version": _show(payload.get("version"))},
        )
        return None
    records = payload.get("recommendations")
    if not isinstance(records, list):
        summary.add_error(None, _('The file has no "recommendations" list.'))
        return None
    return records


def _rejected(number: int, exc: ValidationError) -> str:
    return _("Record %(record)s: %(reason)s") % {"record": number, "reason": " ".join(exc.messages)}


def _stored(items: list[Item]) -> dict[tuple, list[int]]:
    """Stored recommendations by (state, mechanism, natural key), oldest first. Records entered by
    hand have no stored key: theirs is computed as the export computes it."""
    keys = sorted({item.key for item in items})
    found: dict[tuple, list[int]] = defaultdict(list)
    for start in range(0, len(keys), 500):
        rows = (
            Recommendation.objects.filter(natural_key__in=keys[start : start + 500])
            .order_by("pk")
            .values_list("pk", "country_id", "mechanism__code", "natural_key")
        )
        for pk, country, mechanism, key in rows:
            found[(country, mechanism, key)].append(pk)
    wanted = set(keys)
    unkeyed = (
        Recommendation.objects.filter(natural_key="")
        .select_related("document", "mechanism")
        .prefetch_related("recommending_states")
        .order_by("pk")
    )
    for rec in unkeyed.iterator(chunk_size=CHUNK_SIZE):
        key = identity_key(rec, [c.code for c in rec.recommending_states.all()])
        if key in wanted:
            found[(rec.country_id, rec.mechanism.code, key)].append(rec.pk)
    for pks in found.values():
        pks.sort()
    return found


def _documents(checker: Checker, *, by) -> dict[tuple, SourceDocument]:
    """Each document of the file: the stored one, or a new one."""
    out: dict[tuple, SourceDocument] = {}
    symbols = [key[1] for key in checker.documents if key[0] == "symbol"]
    stored = {d.symbol: d for d in SourceDocument.objects.filter(symbol__in=symbols)}
    sessions = {
        (d.mechanism.code, d.country_id, d.session): d
        for d in SourceDocument.objects.filter(symbol="").select_related("mechanism")
    }
    for key, item in checker.documents.items():
        found = stored.get(key[1]) if key[0] == "symbol" else sessions.get(key[1:])
        if found is None:
            try:
                found = source_document_create(document=item.document, by=by, source=AUDIT_SOURCE)
            except ValidationError as exc:
                checker.summary.add_error(
                    item.number,
                    _("Record %(record)s: %(reason)s")
                    % {"record": item.number, "reason": " ".join(exc.messages)},
                )
                continue
        out[key] = found
    return out


def _write(items: list[Item], checker: Checker, *, by) -> None:
    summary = checker.summary
    documents = _documents(checker, by=by)
    if summary.errors:
        return
    stored = _stored(items)
    seen: dict[tuple, int] = defaultdict(int)
    for item in items:
        scope = (item.data.country.code, item.data.mechanism.code, item.key)
        occurrence = seen[scope]
        seen[scope] += 1
        if occurrence < len(stored.get(scope, ())):
            summary.unchanged += 1
            continue
        item.data.document = documents[item.document_key] if item.document_key else None
        try:
            rec = recommendation_create(data=item.data, by=by, source=AUDIT_SOURCE)
        except ValidationError as exc:
            summary.add_error(
                item.number,
                _("Record %(record)s: %(reason)s")
                % {"record": item.number, "reason": " ".join(exc.messages)},
            )
            continue
        times = {
            name: value for name, value in (("created", item.created), ("updated", item.updated)) if value
        }
        if times:
            # The record's own times, not the moment of the load; update() leaves auto_now alone.
            Recommendation.objects.filter(pk=rec.pk).update(**times)
        summary.created += 1


def load_json(data: bytes, *, by=None, dry_run: bool = False) -> ImportSummary:
    """Load an open-data JSON file in one transaction; see the module docstring for the rules. With
    `dry_run` everything is done and rolled back, so the summary is what a real load would say."""
    summary = ImportSummary(dry_run=dry_run)
    records = _read(data, summary)
    if records is None:
        return summary
    checker = Checker(vocab=Vocabulary.read(), summary=summary)
    items = [item for n, record in enumerate(records, start=1) if (item := checker.recommendation(n, record))]
    if summary.errors:
        return summary
    try:
        with transaction.atomic():
            _write(items, checker, by=by)
            if summary.errors or dry_run:
                raise _Rollback
    except _Rollback:
        pass
    if summary.errors:
        summary.discard_counts()
    return summary
