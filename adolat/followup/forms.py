"""Forms of the follow-up pages. They only shape input: every rule is checked by the services
(adolat.followup.services), whose ValidationErrors are put back on these forms by `add_service_error`."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from adolat.accounts.models import Organisation
from adolat.recommendations.models import Status

from . import permissions
from .models import ProgressReport, ReportingPeriod

LANGUAGES = [("tg", "Тоҷикӣ"), ("ru", "Русский"), ("en", "English")]


def add_service_error(form: forms.Form, error: ValidationError) -> None:
    """Show a service's refusal on the form: on the field it names when the form has that field,
    otherwise above the form."""
    if hasattr(error, "error_dict"):
        for name, errors in error.error_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, error)


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


def accountable_bodies():
    return Organisation.objects.filter(kind__in=permissions.ACCOUNTABLE_KINDS, is_active=True)


class AssignmentForm(forms.Form):
    lead_body = forms.ModelChoiceField(
        label=_("Lead body"),
        queryset=Organisation.objects.none(),
        error_messages={"required": _("Choose the body that leads on this recommendation.")},
    )
    supporting_bodies = forms.ModelMultipleChoiceField(
        label=_("Supporting bodies"),
        queryset=Organisation.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    deadline = forms.DateField(label=_("Deadline"), required=False, widget=DateInput())
    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        bodies = accountable_bodies()
        self.fields["lead_body"].queryset = bodies
        self.fields["supporting_bodies"].queryset = bodies


class ReportingPeriodForm(forms.Form):
    title_tg = forms.CharField(label=_("Title (Tajik)"), max_length=120, required=False)
    title_ru = forms.CharField(label=_("Title (Russian)"), max_length=120, required=False)
    title_en = forms.CharField(label=_("Title (English)"), max_length=120, required=False)
    starts = forms.DateField(label=_("Starts"), widget=DateInput())
    ends = forms.DateField(label=_("Ends"), widget=DateInput())
    due = forms.DateField(label=_("Reports due"), widget=DateInput())
    remind_days_before = forms.IntegerField(
        label=_("Remind this many days before"), min_value=0, max_value=365, initial=14
    )


class ProgressReportForm(forms.Form):
    text = forms.CharField(
        label=_("What was done"),
        widget=forms.Textarea(attrs={"rows": 8}),
        error_messages={"required": _("Say what was done.")},
    )
    proposed_status = forms.ChoiceField(label=_("Proposed status"), choices=Status.choices)
    period = forms.ModelChoiceField(
        label=_("Reporting period"), queryset=ReportingPeriod.objects.none(), required=False
    )
    language = forms.ChoiceField(label=_("Language of the report"), choices=LANGUAGES)
    organisation = forms.ModelChoiceField(
        label=_("On behalf of"), queryset=Organisation.objects.none(), required=False
    )

    def __init__(self, *args, organisations=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["period"].queryset = ReportingPeriod.objects.order_by("-due", "-pk")
        if len(organisations) > 1:
            self.fields["organisation"].queryset = Organisation.objects.filter(pk__in=organisations)
            self.fields["organisation"].required = True
        else:
            del self.fields["organisation"]


class ProgressReportEditForm(forms.Form):
    text = forms.CharField(
        label=_("What was done"),
        widget=forms.Textarea(attrs={"rows": 8}),
        error_messages={"required": _("Say what was done.")},
    )
    proposed_status = forms.ChoiceField(label=_("Proposed status"), choices=Status.choices)
    language = forms.ChoiceField(label=_("Language of the report"), choices=LANGUAGES)
    version = forms.IntegerField(widget=forms.HiddenInput)


class VersionForm(forms.Form):
    """A step of the workflow taken on the version of the report the person saw."""

    version = forms.IntegerField(widget=forms.HiddenInput)


class ReturnForm(VersionForm):
    comment = forms.CharField(
        label=_("Why is the report returned?"),
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": _("Say why the report is returned: the comment is required.")},
    )


class EvidenceForm(forms.Form):
    url = forms.URLField(label=_("Link"), required=False, assume_scheme="https")
    file = forms.FileField(label=_("File"), required=False)
    description = forms.CharField(label=_("Description"), max_length=255, required=False)

    def clean(self):
        data = super().clean()
        if bool(data.get("url")) == bool(data.get("file")):
            raise ValidationError(_("Give either a file or a link."), code="file_or_link")
        return data


class AssessmentForm(forms.Form):
    rating = forms.ChoiceField(label=_("Your rating of the implementation"), choices=Status.choices)
    reasoning = forms.CharField(
        label=_("Reasoning"),
        widget=forms.Textarea(attrs={"rows": 8}),
        error_messages={"required": _("Explain your rating.")},
    )
    language = forms.ChoiceField(label=_("Language of the assessment"), choices=LANGUAGES)
    links = forms.CharField(
        label=_("Links to evidence"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("One link per line; a description may follow the link after a space."),
    )
    organisation = forms.ModelChoiceField(
        label=_("On behalf of"), queryset=Organisation.objects.none(), required=False
    )

    def __init__(self, *args, organisations=(), **kwargs):
        super().__init__(*args, **kwargs)
        if len(organisations) > 1:
            self.fields["organisation"].queryset = Organisation.objects.filter(pk__in=organisations)
            self.fields["organisation"].required = True
        else:
            del self.fields["organisation"]

    def clean_links(self) -> list[tuple[str, str]]:
        out = []
        for line in (self.cleaned_data.get("links") or "").splitlines():
            line = line.strip()
            if not line:
                continue
            url, _sep, description = line.partition(" ")
            if not url.startswith(("http://", "https://")):
                raise ValidationError(
                    _("Each line must start with a link beginning with http:// or https://."),
                    code="invalid",
                )
            out.append((url, description.strip()))
        return out


class ReplyForm(forms.Form):
    text = forms.CharField(
        label=_("Your reply"),
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": _("Write your reply.")},
    )
    organisation = forms.ModelChoiceField(
        label=_("On behalf of"), queryset=Organisation.objects.none(), required=False
    )

    def __init__(self, *args, organisations=(), **kwargs):
        super().__init__(*args, **kwargs)
        if len(organisations) > 1:
            self.fields["organisation"].queryset = Organisation.objects.filter(pk__in=organisations)
            self.fields["organisation"].required = True
        else:
            del self.fields["organisation"]


REPORT_STATES = ProgressReport.State
