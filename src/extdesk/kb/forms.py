"""The knowledge base's forms: what the desk's editor and the readers' pages post."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import LANGUAGES, Category, State, Visibility


class ArticleForm(forms.Form):
    title = forms.CharField(max_length=200)
    slug = forms.CharField(
        max_length=200, required=False,
        help_text=_("The article's address: /kb/<slug>/. Left empty, it is made from the title."))
    category = forms.ModelChoiceField(queryset=Category.objects.all(), empty_label=None)
    language = forms.ChoiceField(choices=LANGUAGES)
    visibility = forms.ChoiceField(choices=Visibility.choices)
    body = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 22, "class": "kb-editor"}),
        help_text=_("Markdown. Link another article with [text](kb:its-slug); HTML is shown as text."))

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # A bad category is the service's to name, in its own words.
        self.fields["category"].error_messages["invalid_choice"] = _("Choose a category that exists.")


class ImageForm(forms.Form):
    image = forms.FileField(required=True, help_text=_("PNG, JPEG, GIF or WebP."))


class CategoryForm(forms.Form):
    name = forms.CharField(max_length=100)
    slug = forms.CharField(
        max_length=100, required=False,
        help_text=_("Its address: /kb/category/<slug>/. Left empty, it is made from the name."))


class DeskFilterForm(forms.Form):
    state = forms.ChoiceField(choices=[("", _("Any state")), *State.choices], required=False)
    category = forms.ModelChoiceField(queryset=Category.objects.all(), required=False,
                                      empty_label=_("Any category"))
    language = forms.ChoiceField(choices=[("", _("Any language")), *LANGUAGES], required=False)
    q = forms.CharField(required=False, max_length=200, label=_("Title or slug"),
                        widget=forms.TextInput(attrs={"placeholder": _("Title or slug"), "type": "search"}))


class SearchForm(forms.Form):
    q = forms.CharField(required=False, max_length=200, label=_("Search the knowledge base"))


class VoteForm(forms.Form):
    helpful = forms.ChoiceField(choices=[("yes", _("Yes")), ("no", _("No"))])
