"""Validation of the reader pages' own query parameters (search has its own parser)."""

from django import forms
from django.utils.translation import gettext_lazy as _

# One page limit for search and lists alike (a list's ``page=last`` may still go past it).
from archive.search.service import MAX_PAGE


class ListPageForm(forms.Form):
    """``?page=`` on paginated lists: a positive number or ``last``."""

    page = forms.CharField(required=False, strip=True)

    def clean_page(self) -> int | str:
        value = (self.cleaned_data.get("page") or "").strip()
        if value in ("", "1"):
            return 1
        if value == "last":
            return "last"
        if (
            not (value.isascii() and value.isdigit())
            or len(value) > 6
            or not 1 <= int(value) <= MAX_PAGE
        ):
            raise forms.ValidationError(
                _("The page number must be a whole number from 1 upwards."), code="page"
            )
        return int(value)


class ArticleViewForm(forms.Form):
    """``?script=hans|hant`` on the article page: read it converted to one script."""

    script = forms.ChoiceField(
        required=False,
        choices=[("", ""), ("hans", _("Simplified")), ("hant", _("Traditional"))],
        error_messages={"invalid_choice": _("The script must be “hans” or “hant”.")},
    )


def first_error(form: forms.Form) -> str:
    """The first validation message of a bound, invalid form, for the 400 page."""
    for errors in form.errors.values():
        return str(errors[0])
    return str(_("Invalid parameters."))
