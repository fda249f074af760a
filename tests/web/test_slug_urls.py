"""Source and topic addresses are remembered, yet follow the site's script prefix."""

import pytest
from django.urls import get_script_prefix, set_script_prefix

from archive.models import Source, Tag

pytestmark = pytest.mark.django_db


def test_links_follow_the_prefix_the_site_is_served_under():
    source = Source.objects.create(name="新华社", slug="xinhua")
    topic = Tag.objects.create(name_zh="经济", name_en="Economy", slug="economy")
    assert source.get_absolute_url() == "/sources/xinhua/"
    assert topic.get_absolute_url() == "/topics/economy/"
    before = get_script_prefix()
    set_script_prefix("/archive/")  # as under nginx at /archive/ (SCRIPT_NAME)
    try:
        assert source.get_absolute_url() == "/archive/sources/xinhua/"
        assert topic.get_absolute_url() == "/archive/topics/economy/"
    finally:
        set_script_prefix(before)
    assert source.get_absolute_url() == "/sources/xinhua/"
