from django import forms
from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .models import Country

FORMAT_CHOICES = [
    ("", _("Recognise automatically")),
    ("upr_info", _("UPR Info export (CSV, XLS, XLSX)")),
    ("uhri", _("Universal Human Rights Index export (CSV, XLSX)")),
    ("ohchr_matrix", _("OHCHR thematic list of recommendations (Word)")),
    ("un_document", _("UN document with numbered paragraphs (PDF, Word, text)")),
    ("generic", _("Other table, with a column mapping")),
]


class ImportUploadForm(forms.Form):
    file = forms.FileField(label=_("File"))
    country = forms.ModelChoiceField(
        label=_("State under review"), queryset=Country.objects.none(), to_field_name="code", empty_label=None
    )
    format = forms.ChoiceField(label=_("Format"), choices=FORMAT_CHOICES, required=False)
    document = forms.CharField(
        label=_("UN symbol of the document"),
        max_length=64,
        required=False,
        help_text=_("Only where the file does not say it, e.g. A/HRC/19/3."),
    )
    mapping = forms.CharField(
        label=_("Column mapping"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("For other tables only: one “field=Column name” per line, e.g. text=Recommendation."),
    )
    skip_invalid = forms.BooleanField(
        label=_("Import the good rows and list the others"),
        required=False,
        help_text=_("Without this, a file with any wrong row imports nothing."),
    )
    publish = forms.BooleanField(label=_("Publish the new recommendations"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["file"].help_text = gettext("CSV, XLS, XLSX, DOCX, PDF or TXT; at most %(limit)s.") % {
            "limit": filesizeformat(settings.ADOLAT_MAX_IMPORT_SIZE)
        }
        # The instance's own states first; any state can be chosen.
        tracked = settings.ADOLAT_COUNTRIES
        self.fields["country"].queryset = Country.objects.all()
        self.fields["country"].initial = tracked[0]

    def clean_file(self):
        # The same checks as the service, so a refused file is a form error before anything is stored.
        from .services import check_upload

        upload = self.cleaned_data["file"]
        check_upload(upload)
        return upload

    def clean_mapping(self) -> dict:
        mapping = {}
        for number, line in enumerate(self.cleaned_data.get("mapping", "").splitlines(), start=1):
            if not line.strip():
                continue
            field, sep, column = line.partition("=")
            if not sep or not field.strip() or not column.strip():
                raise forms.ValidationError(
                    _("Line %(line)s of the mapping is not “field=Column name”.") % {"line": number}
                )
            mapping[field.strip()] = column.strip()
        return mapping
