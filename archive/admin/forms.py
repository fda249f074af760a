"""Forms for the admin's topic inline and its intermediate action pages."""

from django import forms
from django.contrib.admin.widgets import AutocompleteSelect
from django.utils.translation import gettext_lazy as _

from archive.models import ArticleTag, Tag


def _not_an_alias(tag: Tag) -> Tag:
    if tag is not None and tag.merged_into_id:
        raise forms.ValidationError(
            _("“%(tag)s” was merged into “%(kept)s”; choose that one.")
            % {"tag": tag, "kept": tag.resolved()}
        )
    return tag


class ArticleTagForm(forms.ModelForm):
    """One topic of an article; a merged alias cannot be chosen."""

    class Meta:
        model = ArticleTag
        fields = ["tag"]

    def clean_tag(self) -> Tag:
        return _not_an_alias(self.cleaned_data.get("tag"))


class TopicChoiceForm(forms.Form):
    """Which topic to add to (or remove from) the selected articles."""

    tag = forms.ModelChoiceField(
        queryset=Tag.objects.filter(merged_into__isnull=True), label=_("topic")
    )

    def __init__(self, *args, admin_site=None, **kwargs):
        super().__init__(*args, **kwargs)
        if admin_site is not None:
            field = self.fields["tag"]
            field.widget = AutocompleteSelect(ArticleTag._meta.get_field("tag"), admin_site)
            field.widget.choices = field.choices

    def clean_tag(self) -> Tag:
        return _not_an_alias(self.cleaned_data.get("tag"))


class KeepChoiceForm(forms.Form):
    """Which of the selected topics or sources the others are merged into."""

    keep = forms.ModelChoiceField(
        queryset=Tag.objects.none(), widget=forms.RadioSelect, label=_("keep"), empty_label=None
    )

    def __init__(self, *args, queryset, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["keep"].queryset = queryset


class RenameTagForm(forms.ModelForm):
    """New names for a topic, checked against every other topic's names."""

    class Meta:
        model = Tag
        fields = ["name_zh", "name_en", "slug"]
