"""Evidence files: what may be uploaded, who may add and see them, and the two services.

Validation (issue 4, "Evidence files"):
- the size is at most settings.ATTACHMENT_MAX_BYTES (20 MB unless configured);
- the type is read from the CONTENT, never from the extension or the browser's
  Content-Type; the allowed types are PDF, PNG, JPEG, GIF, Office Open XML (docx, xlsx,
  pptx: a ZIP whose entries include [Content_Types].xml) and plain text or CSV (valid
  UTF-8 or Shift_JIS, without NUL bytes);
- the extension must be one of the detected type's: an executable, an HTML page or a
  script renamed `evidence.pdf` is refused, and so is any HTML page or script.

The detection is a handful of plain magic-byte checks rather than a package (`filetype`,
`python-magic`): the allow-list is short, the two checks that matter most cannot be done
by magic bytes alone anyway (an Office file is a ZIP that must be opened to find
[Content_Types].xml; text has no magic at all and needs a decoding check), and libmagic
would be a system library that every machine must install. Anything not positively
recognised as an allowed type is refused, so there is no list of dangerous types to keep
up to date.

Which records take attachments is a registry (`register`), so that audits can attach
files to its audits and findings while incidents never imports audits: each record type
registers who may see its records (a queryset per user) and its rule of who may add files
to one, `may_add(record, user)`, a function returning the reason of a refusal (None when
the user may). Incidents register themselves below; audits registers Audit and Finding in
audits/attachments.py, where their rules are stated.

Who may attach evidence to an incident (issue 11, `incident_may_add`):
- the PMS manager and the PMS office (個人情報保護管理者・事務局), at any time, the closed
  or dismissed incident included (a late report from the authority, say);
- the reporter and the head of the incident's department, while the incident is open;
- nobody else: read-only roles (top management, internal auditors, the audit lead) see
  the incident but do not add to its record. Refused with a 403 and the rule; a reporter
  or head after the incident is closed or dismissed, with a 409.
Whoever may see the incident downloads its files.

Actions (issue 14, `action_may_add`) take files with a purpose, what they prove
(`Attachment.purpose`): evidence of implementation (実施の証跡), added by the action's owner,
and evidence of effectiveness (有効性の証跡), added by its verifier, while the action is
open (not verified effective, not cancelled); the PMS office of its company adds either at
any time. Whoever may see the action downloads them. A record type registered with
`purposes` takes no file without one of them; the others take none.

A progress entry (incidents.models.progress) takes its files when it is written, by its
writer, in the same transaction (services.add_progress); never afterwards, by anyone: the
log is append-only. Its files are downloaded by whoever sees the incident in full, and by
the entry's writer (the owner of an action, who reads the incident only in part, gets
their own files back, not the office's).
"""

from __future__ import annotations

import hashlib
import math
import os
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import FileResponse, Http404
from django.urls import reverse
from django.utils.translation import gettext as _

from .exceptions import NotPermitted, RecordClosed
from .models import Action, Attachment, EvidencePurpose, Incident, ProgressEntry, headed_department_ids
from .roles import Role, has_role

# ---------------------------------------------------------------------------
# Types


@dataclass(frozen=True)
class FileType:
    key: str
    mime_type: str
    extensions: tuple[str, ...]


PDF = FileType("pdf", "application/pdf", (".pdf",))
PNG = FileType("png", "image/png", (".png",))
JPEG = FileType("jpeg", "image/jpeg", (".jpg", ".jpeg"))
GIF = FileType("gif", "image/gif", (".gif",))
DOCX = FileType("docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", (".docx",))
XLSX = FileType("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", (".xlsx",))
PPTX = FileType("pptx", "application/vnd.openxmlformats-officedocument.presentationml.presentation", (".pptx",))
TEXT = FileType("text", "text/plain", (".txt", ".log"))
CSV = FileType("csv", "text/csv", (".csv",))

ALLOWED_TYPES = (PDF, PNG, JPEG, GIF, DOCX, XLSX, PPTX, TEXT, CSV)
ALLOWED_EXTENSIONS = tuple(ext for file_type in ALLOWED_TYPES for ext in file_type.extensions)

# The main part of each Office Open XML document type.
OOXML_PARTS = (("word/", DOCX), ("xl/", XLSX), ("ppt/", PPTX))

# What browsers treat as an HTML page whatever it is called (the WHATWG MIME sniffing
# patterns), plus XML and SVG, which can carry scripts too.
_MARKUP = re.compile(
    rb"^\s*<(?:!doctype\s+html|html|head|body|script|iframe|h1|div|font|table|a|style|title|b|br|p|svg|\?xml|!--)"
    rb"(?:[\s>/]|$)",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Detected:
    file_type: FileType
    charset: str = ""

    @property
    def mime_type(self) -> str:
        return f"{self.file_type.mime_type}; charset={self.charset}" if self.charset else self.file_type.mime_type


def max_size_mb() -> str:
    """The limit in MB as people write it: 20, 0.5."""
    return f"{settings.ATTACHMENT_MAX_BYTES / (1024 * 1024):.1f}".removesuffix(".0")


def _allowed_list() -> str:
    return "PDF, PNG, JPEG, GIF, Word (.docx), Excel (.xlsx), PowerPoint (.pptx), " + _("text") + " (.txt, .csv)"


def _text_charset(data: bytes) -> str | None:
    """'utf-8' or 'shift_jis' when the bytes are text in one of them, else None."""
    if b"\x00" in data:
        return None
    # Other control characters than tab, line feed, form feed and carriage return (and the
    # old end-of-file mark 0x1A some Windows tools append) are binary, not text.
    if re.search(rb"[\x01-\x08\x0b\x0e-\x19\x1b-\x1f\x7f]", data):
        return None
    for charset, codec in (("utf-8", "utf-8-sig"), ("shift_jis", "cp932")):
        try:
            data.decode(codec)
        except UnicodeDecodeError:
            continue
        return charset
    return None


def _ooxml_type(file) -> FileType | None:
    """DOCX, XLSX or PPTX when the ZIP holds [Content_Types].xml and that kind's main part."""
    try:
        with zipfile.ZipFile(file) as archive:
            names = archive.namelist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        return None
    if "[Content_Types].xml" not in names:
        return None
    if any(name.lower().endswith("vbaproject.bin") for name in names):
        return None  # macros: a .docm/.xlsm renamed to .docx
    for prefix, file_type in OOXML_PARTS:
        if any(name.startswith(prefix) for name in names):
            return file_type
    return None


def detect_type(file) -> Detected | None:
    """The allowed type the file's bytes are, or None. Reads the file; leaves it at 0."""
    file.seek(0)
    head = file.read(2048)
    file.seek(0)
    try:
        if head.startswith(b"%PDF-"):
            return Detected(PDF)
        if head.startswith(b"\x89PNG\r\n\x1a\n"):
            return Detected(PNG)
        if head.startswith(b"\xff\xd8\xff"):
            return Detected(JPEG)
        if head.startswith((b"GIF87a", b"GIF89a")):
            return Detected(GIF)
        if head.startswith(b"PK\x03\x04"):
            file_type = _ooxml_type(file)
            return Detected(file_type) if file_type else None
        if not head or _MARKUP.match(head.removeprefix(b"\xef\xbb\xbf")) or head.startswith(b"#!"):
            return None  # empty, an HTML/XML page, or a script
        data = file.read()
        charset = _text_charset(data)
        return Detected(TEXT, charset) if charset else None
    finally:
        file.seek(0)


def validate_upload(file) -> Detected:
    """The detected type of an upload, or a ValidationError {"file": [the reason]}."""
    limit = settings.ATTACHMENT_MAX_BYTES
    size = file.size
    if size is None:
        raise ValidationError({"file": [_("The file could not be read.")]})
    if size > limit:
        raise ValidationError({"file": [
            _("The file is too large (%(size)s MB). The limit is %(limit)s MB per file.") % {
                # Rounded up, so that a file just over the limit never reads as within it.
                "size": f"{math.ceil(size * 10 / (1024 * 1024)) / 10:.1f}", "limit": max_size_mb(),
            }
        ]})
    if size == 0:
        raise ValidationError({"file": [_("The file is empty.")]})
    name = os.path.basename(file.name or "")
    extension = os.path.splitext(name)[1].lower()
    detected = detect_type(file)
    if detected is None:
        raise ValidationError({"file": [
            _("This type of file is not accepted: its content is none of the allowed types (%(allowed)s).")
            % {"allowed": _allowed_list()}
        ]})
    file_type = detected.file_type
    extensions = (*TEXT.extensions, *CSV.extensions) if file_type is TEXT else file_type.extensions
    if extension not in extensions:
        raise ValidationError({"file": [
            _("The file's name (%(extension)s) does not match its content (%(type)s): rename it or choose "
              "the right file.") % {"extension": extension or _("no extension"), "type": file_type.key.upper()}
        ]})
    if extension in CSV.extensions:
        detected = Detected(CSV, detected.charset)
    return detected


def clean_name(name: str) -> str:
    """The original name without any folder, control characters or excess length."""
    name = os.path.basename((name or "").replace("\\", "/"))
    name = re.sub(r"[\x00-\x1f\x7f]", "", name).strip() or "file"
    stem, extension = os.path.splitext(name)
    return stem[: 255 - len(extension)] + extension


# ---------------------------------------------------------------------------
# Which records take attachments


class ClosedReason(str):
    """A refusal for the record's state rather than the person's role: a 409, not a 403."""


def refuse(problem: str | None) -> None:
    """Raise the refusal a `may_add` rule returned: RecordClosed (409) for a ClosedReason,
    NotPermitted (403) for any other reason; nothing when there is none."""
    if problem is None:
        return
    if isinstance(problem, ClosedReason):
        raise RecordClosed(str(problem))
    raise NotPermitted(str(problem))


@dataclass(frozen=True)
class RecordRules:
    # The records of this type a user may see (and so download their attachments).
    visible_to: Callable[..., QuerySet]
    # may_add(record, user) -> the reason the user may not attach a file to the record now
    # (a ClosedReason when it is the record's state), or None when they may.
    may_add: Callable[..., str | None]
    # The record's page, where the upload form and the list are.
    detail_url: Callable[..., str]
    # {purpose: may_add(record, user) for files of that purpose}: a record type whose files
    # each prove something in particular (an action's). None: the files have no purpose.
    purposes: dict[str, Callable[..., str | None]] | None = None

    def check_add(self, record, user, purpose: str = "") -> None:
        """Raise NotPermitted or RecordClosed, with the reason, unless `user` may add a file
        (of `purpose`, for a record type with purposes) now."""
        refuse(self.purposes[purpose](record, user) if self.purposes and purpose in self.purposes
               else self.may_add(record, user))


_REGISTRY: dict[type, RecordRules] = {}


def register(model: type, *, visible_to, may_add, detail_url, purposes=None) -> None:
    """Let `model`'s records take attachments (idempotent). With `purposes`, each file says
    which one it serves and is checked by that purpose's rule; `may_add` then says whether
    the user may add a file of any purpose (the page's upload form)."""
    _REGISTRY[model] = RecordRules(visible_to=visible_to, may_add=may_add, detail_url=detail_url,
                                   purposes=dict(purposes) if purposes else None)


def registered_models() -> list[type]:
    return list(_REGISTRY)


def rules_for(model: type) -> RecordRules:
    try:
        return _REGISTRY[model]
    except KeyError:
        raise LookupError(f"{model.__name__} records do not take attachments (incidents.attachments.register)") \
            from None


def record_key(model_or_record) -> str:
    """"incidents.incident": how URLs name a record type."""
    return model_or_record._meta.label_lower


def model_for_key(key: str) -> type | None:
    return next((model for model in _REGISTRY if record_key(model) == key), None)


def upload_url(record) -> str:
    return reverse("attachment_upload", args=[record_key(record), record.pk])


def can_see(record, user) -> bool:
    return rules_for(type(record)).visible_to(user).filter(pk=record.pk).exists()


def can_add(record, user) -> bool:
    return rules_for(type(record)).may_add(record, user) is None


def addable_purposes(record, user) -> list[str]:
    """The purposes `user` may add files of to `record` now (none for a record type without purposes)."""
    purposes = rules_for(type(record)).purposes or {}
    return [purpose for purpose, may_add in purposes.items() if may_add(record, user) is None]


def visible_attachments(user) -> QuerySet[Attachment]:
    """The files of the records `user` may see (the admin's list: in a group, a company's
    PMS office must not read the names and descriptions of another company's evidence)."""
    visible = Q(pk__in=[])
    for model, rules in _REGISTRY.items():
        visible |= Q(content_type=ContentType.objects.get_for_model(model),
                     object_id__in=rules.visible_to(user).values("pk"))
    return Attachment.objects.filter(visible)


def attachments_of(record) -> QuerySet[Attachment]:
    return Attachment.objects.filter(
        content_type=ContentType.objects.get_for_model(type(record)), object_id=record.pk
    ).select_related("uploaded_by")


def attachments_by_record(records) -> dict[int, list[Attachment]]:
    """{record pk: its files, oldest first} for several records of one model, in one query."""
    records = list(records)
    if not records:
        return {}
    files: dict[int, list[Attachment]] = {record.pk: [] for record in records}
    for attachment in Attachment.objects.filter(
        content_type=ContentType.objects.get_for_model(type(records[0])), object_id__in=list(files),
    ).select_related("uploaded_by"):
        files[attachment.object_id].append(attachment)
    return files


# ---------------------------------------------------------------------------
# Services


def _check_purpose(rules: RecordRules, purpose: str) -> None:
    """A ValidationError {"purpose": …} (400) unless `purpose` is one of the record type's
    (blank for a record type without purposes)."""
    if rules.purposes:
        if purpose not in rules.purposes:
            choices = ", ".join(f"{value} ({EvidencePurpose(value).label})" if value in EvidencePurpose.values
                                else value for value in rules.purposes)
            raise ValidationError({"purpose": [_("Say what the file is evidence of: %(choices)s.")
                                               % {"choices": choices}]})
    elif purpose:
        raise ValidationError({"purpose": [_("The files of this record have no purpose: leave it empty.")]})


def attachment_add(*, record, by, file, description: str = "", purpose: str = "") -> Attachment:
    """Store an evidence file for `record`, uploaded by `by` (`purpose`: what it proves, for
    the record types registered with purposes).

    Raises NotPermitted (403) or RecordClosed (409) when `by` may not add a file to the
    record now, ValidationError {"file": …} (400) when the file is too large or not an
    allowed type, {"purpose": …} (400) for a missing or unknown purpose; nothing is stored then.
    """
    rules = rules_for(type(record))
    if not rules.visible_to(by).filter(pk=record.pk).exists():
        raise NotPermitted(_("You may only attach files to records you can see."))
    purpose = (purpose or "").strip()
    _check_purpose(rules, purpose)
    rules.check_add(record, by, purpose)
    detected = validate_upload(file)
    digest = hashlib.sha256()
    for chunk in file.chunks():
        digest.update(chunk)
    file.seek(0)
    attachment = Attachment(
        content_type=ContentType.objects.get_for_model(type(record)),
        object_id=record.pk,
        original_name=clean_name(file.name),
        mime_type=detected.mime_type,
        size=file.size,
        sha256=digest.hexdigest(),
        description=description.strip()[:500],
        purpose=purpose,
        uploaded_by=by,
    )
    # Only the storage API (save, open, delete; never a path): the files may be on a
    # shared bucket (FILE_STORAGE=s3). The stored object is typed as detected, never as the
    # browser claimed (an S3 backend records the type it is given).
    stored = File(file, name=file.name)
    stored.content_type = detected.mime_type
    attachment.file.save("upload", stored, save=False)
    try:
        with transaction.atomic():
            attachment.full_clean()
            attachment._history_user = by
            attachment.save()
    except BaseException:
        attachment.file.storage.delete(attachment.file.name)
        raise
    return attachment


def attachment_for_download(*, pk: int, user) -> Attachment:
    """The attachment, if `user` may see the record it belongs to; otherwise Http404."""
    attachment = Attachment.objects.select_related("content_type").filter(pk=pk).first()
    if attachment is None:
        raise Http404
    model = attachment.content_type.model_class()
    if model not in _REGISTRY or not _REGISTRY[model].visible_to(user).filter(pk=attachment.object_id).exists():
        raise Http404
    return attachment


def download_response(attachment: Attachment) -> FileResponse:
    """The file streamed from the storage, always as a download named as uploaded (a Japanese
    name RFC 5987-encoded: filename*=utf-8''…), typed as detected; Http404 when the stored
    file is missing. Used by the web view and the API alike."""
    try:
        handle = attachment.file.storage.open(attachment.file.name, "rb")
    except FileNotFoundError:
        raise Http404 from None
    response = FileResponse(
        handle, as_attachment=True, filename=attachment.original_name, content_type=attachment.mime_type,
    )
    # Never rendered by the browser, whatever the file holds.
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response


# ---------------------------------------------------------------------------
# Incidents


def incident_may_add(incident: Incident, user) -> str | None:
    """Who may attach evidence to an incident (the module's docstring): the reason they may not, or None."""
    if has_role(user, Role.PMS_MANAGER, company=incident.company_id):
        return None
    if not (incident.reporter_id == user.pk or incident.department_id in headed_department_ids(user)):
        return _("Only the reporter, the head of the incident's department and the PMS office may add files to an "
                 "incident.")
    if not incident.is_open:
        return ClosedReason(_("Files can no longer be added: the incident is closed or dismissed."))
    return None


register(
    Incident,
    visible_to=lambda user: Incident.objects.visible_to(user),
    may_add=incident_may_add,
    detail_url=lambda incident: reverse("incident_detail", args=[incident.pk]),
)


# ---------------------------------------------------------------------------
# Actions: evidence of implementation and of effectiveness


def _action_closed(action: Action) -> str | None:
    if action.is_open:
        return None
    return ClosedReason(_("Files can no longer be added: the action is verified effective or cancelled."))


def action_may_add_implementation(action: Action, user) -> str | None:
    """Evidence that the action was carried out: its owner while it is open; the PMS office at any time."""
    if has_role(user, Role.PMS_MANAGER, company=action.company_id):
        return None
    if user.pk != action.owner_id:
        return _("Only the action's owner and the PMS office may add evidence of its implementation.")
    return _action_closed(action)


def action_may_add_effectiveness(action: Action, user) -> str | None:
    """Evidence that the action worked: its verifier while it is open; the PMS office at any time."""
    if has_role(user, Role.PMS_MANAGER, company=action.company_id):
        return None
    if user.pk != action.verifier_id:
        return _("Only the action's verifier and the PMS office may add evidence of its effectiveness.")
    return _action_closed(action)


ACTION_PURPOSES = {
    EvidencePurpose.IMPLEMENTATION.value: action_may_add_implementation,
    EvidencePurpose.EFFECTIVENESS.value: action_may_add_effectiveness,
}


def action_may_add(action: Action, user) -> str | None:
    """May `user` add evidence of some purpose to the action now? The first purpose's reason if not,
    the closed one (409) before a role's (403)."""
    problems = [may_add(action, user) for may_add in ACTION_PURPOSES.values()]
    if any(problem is None for problem in problems):
        return None
    return next((problem for problem in problems if isinstance(problem, ClosedReason)), None) or \
        _("Only the action's owner, its verifier and the PMS office may add evidence to an action.")


register(
    Action,
    visible_to=lambda user: Action.objects.visible_to(user),
    may_add=action_may_add,
    detail_url=lambda action: reverse("action_detail", args=[action.pk]),
    purposes=ACTION_PURPOSES,
)


# ---------------------------------------------------------------------------
# Progress entries: files given when the entry is written


def progress_entries_with_files_for(user) -> QuerySet[ProgressEntry]:
    """The entries whose files `user` downloads (the module's docstring)."""
    return ProgressEntry.objects.filter(
        Q(incident__in=Incident.objects.visible_to(user).values("pk"))
        | Q(written_by_id=user.pk, incident__in=Incident.objects.readable_by(user).values("pk"))
    )


def progress_may_add(entry: ProgressEntry, user) -> str | None:
    # services.add_progress marks the entry it is writing; any other upload is refused.
    if getattr(entry, "_accepting_files", False) and user.pk == entry.written_by_id:
        return None
    return ClosedReason(_("A progress entry does not change once written: attach the files when you write it, "
                          "or write a new entry."))


register(
    ProgressEntry,
    visible_to=progress_entries_with_files_for,
    may_add=progress_may_add,
    detail_url=lambda entry: entry.get_absolute_url(),
)


# ---------------------------------------------------------------------------
# Requests from individuals and complaints (issue 15): the PMS office and the case's
# handler add files while the case is open; whoever sees the case downloads them. A
# request's files each say what they are: the copies of identity documents are deleted
# automatically once the case has been closed for the company's retention period
# (case_services.purge_identity_documents).


def _case_may_add(record, user) -> str | None:
    from .models.requests import case_office_problem

    problem = case_office_problem(record, user)
    if problem:
        return problem
    if record.state == "closed":
        return ClosedReason(_("This record is closed and can no longer be edited."))
    return None


def _requests_visible_to(user):
    from .models import RightsRequest

    return RightsRequest.objects.visible_to(user)


def _complaints_visible_to(user):
    from .models import Complaint

    return Complaint.objects.visible_to(user)


def _register_cases() -> None:
    from .models import Complaint, RightsRequest

    register(
        RightsRequest, visible_to=_requests_visible_to, may_add=_case_may_add,
        detail_url=lambda request: request.get_absolute_url(),
        purposes={purpose: _case_may_add for purpose in (
            EvidencePurpose.REQUEST_DOCUMENT, EvidencePurpose.IDENTITY, EvidencePurpose.AUTHORITY,
            EvidencePurpose.DISCLOSED_DATA, EvidencePurpose.CORRESPONDENCE)},
    )
    register(Complaint, visible_to=_complaints_visible_to, may_add=_case_may_add,
             detail_url=lambda complaint: complaint.get_absolute_url())


_register_cases()
