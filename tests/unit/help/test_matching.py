"""Who hears of a new help request: category opt-in, languages; requester and inactive members left out."""
from datetime import datetime, timezone

from hypothesis import given, settings
from hypothesis import strategies as st

from services.help.domain import CATEGORIES, MemberProfile, audience, new_request

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)


def a_request(category="shopping", languages=(), requester="anna"):
    return new_request(
        id="r1", community_id="c1", requester_id=requester, title="Hilfe", description="", category=category,
        needed_from=None, needed_until=None, languages=languages, now=T0,
    )


def member(member_id, *, active=True, languages=("de",), help_categories=("shopping",)):
    return MemberProfile(member_id, active, languages, help_categories)


def test_members_who_opted_into_the_category_hear_of_the_request():
    members = [member("bora"), member("chen", help_categories=("garden",)),
               member("dmitri", help_categories=("garden", "shopping"))]
    assert audience(a_request("shopping"), members) == ["bora", "dmitri"]


def test_without_requested_languages_every_active_member_who_opted_in_hears_of_it():
    members = [member("bora", languages=("tr",)), member("chen", languages=()),
               member("dmitri", languages=("ar",))]
    assert audience(a_request(), members) == ["bora", "chen", "dmitri"]


def test_only_members_speaking_a_requested_language_hear_of_it():
    translators = ("translation",)
    members = [member("bora", languages=("tr", "de"), help_categories=translators),
               member("chen", languages=("zh", "en"), help_categories=translators),
               member("dmitri", languages=("ru",), help_categories=translators),
               member("emre", languages=(), help_categories=translators)]
    assert audience(a_request("translation", languages=("tr", "ru")), members) == ["bora", "dmitri"]


def test_speaking_one_of_several_requested_languages_is_enough():
    assert audience(a_request(languages=("ar", "fa", "de")), [member("bora", languages=("fa",))]) == ["bora"]


def test_member_languages_are_compared_without_regard_to_case():
    assert audience(a_request(languages=("tr",)), [member("bora", languages=("TR",))]) == ["bora"]


def test_the_requester_never_hears_of_their_own_request():
    members = [member("anna"), member("bora")]
    assert audience(a_request(requester="anna"), members) == ["bora"]


def test_inactive_members_do_not_hear_of_requests():
    members = [member("bora", active=False), member("chen")]
    assert audience(a_request(), members) == ["chen"]


def test_a_member_who_never_chose_categories_hears_of_every_category():
    members = [member("bora", help_categories=None), member("chen", help_categories=()),
               member("dmitri", help_categories=("garden",))]
    for category in CATEGORIES:
        expected = ["bora", "chen"] + (["dmitri"] if category == "garden" else [])
        assert audience(a_request(category), members) == expected


def test_a_member_without_category_preferences_still_needs_a_requested_language():
    members = [member("bora", help_categories=None, languages=("de",))]
    assert audience(a_request(languages=("ar",)), members) == []


def test_the_audience_is_sorted_and_names_each_member_once():
    members = [member("zeynep"), member("bora"), member("bora"), member("maria")]
    assert audience(a_request(), members) == ["bora", "maria", "zeynep"]


def test_nobody_to_tell_gives_an_empty_audience():
    assert audience(a_request(), []) == []


LANGS = st.sampled_from(["de", "tr", "ar", "ru", "fa", "pl", "en"])
MEMBERS = st.lists(st.builds(
    MemberProfile,
    member_id=st.sampled_from(["anna", "bora", "chen", "dmitri", "emre", "fatma"]),
    active=st.booleans(),
    languages=st.lists(LANGS, max_size=3).map(tuple),
    help_categories=st.one_of(st.none(), st.lists(st.sampled_from(CATEGORIES), max_size=3).map(tuple)),
), max_size=10)


@settings(max_examples=150, deadline=None)
@given(members=MEMBERS, category=st.sampled_from(CATEGORIES), languages=st.lists(LANGS, max_size=2))
def test_everyone_in_the_audience_is_active_interested_able_and_not_the_requester(
    members, category, languages,
):
    request = a_request(category, languages=languages)
    chosen = audience(request, members)
    assert chosen == sorted(set(chosen))
    assert "anna" not in chosen
    for member_id in chosen:
        assert any(
            m.member_id == member_id and m.active
            and (not m.help_categories or category in m.help_categories)
            and (not languages or set(languages) & set(m.languages))
            for m in members
        )
