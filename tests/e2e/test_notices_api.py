"""Notices and the inbox through the HTTP API: an organiser's notice reaches everyone in their language,
and the receipts show the organiser who has not read it yet, with their phone numbers."""
import pytest


def resident(platform, organiser, email, name, language, phone=None, share_phone=False):
    client, profile = platform.join(organiser, email, display_name=name, preferred_language=language, phone=phone,
                                    share_phone=share_phone, household=f"Haus {name}")
    return client, profile["id"]


@pytest.fixture(scope="module")
def people(platform):
    organiser = platform.organiser()
    return {"organiser": organiser,
            "ayse": resident(platform, organiser, "ayse@example.org", "Ayşe", "tr", "040 111", True),
            "yusuf": resident(platform, organiser, "yusuf@example.org", "Yusuf", "ar", "040 222", True),
            "bora": resident(platform, organiser, "bora@example.org", "Bora", "de", "040 333", False)}


def notices_of(client):
    return [item for item in client.get("/api/v1/notifications").json()["items"] if item["kind"] == "notice"]


def test_a_notice_reaches_everyone_in_their_language_and_reading_it_empties_the_call_list(platform, people):
    organiser = people["organiser"]
    (ayse, ayse_id), (yusuf, yusuf_id), (bora, bora_id) = people["ayse"], people["yusuf"], people["bora"]
    published = organiser.post("/api/v1/notices", json={
        "title": "Wasser abgestellt", "body": "Am Dienstag von 9 bis 12 Uhr gibt es kein Wasser.",
        "language": "de", "audience": "all", "urgent": True,
        "translations": {"tr": {"title": "Su kesintisi", "body": "Salı günü 9-12 arası su yok."},
                         "ar": {"title": "انقطاع المياه", "body": "لا توجد مياه يوم الثلاثاء من 9 إلى 12."}}})
    assert published.status_code == 201, published.text
    notice_id = published.json()["id"]

    assert notices_of(ayse)[0]["title"] == "Su kesintisi"
    arabic = notices_of(yusuf)[0]
    assert arabic["title"] == "انقطاع المياه" and arabic["direction"] == "rtl"
    assert notices_of(bora)[0]["title"] == "Wasser abgestellt"
    assert [n["title"] for n in ayse.get("/api/v1/notices").json()["items"]] == ["Su kesintisi"]

    receipts = organiser.get(f"/api/v1/notices/{notice_id}/receipts")
    assert receipts.status_code == 200
    unread = {person["member_id"]: person for person in receipts.json()["unread"]}
    assert {ayse_id, yusuf_id, bora_id} <= set(unread)
    # Bora does not share her phone with neighbours, but an organiser may call her about an unread notice.
    assert unread[ayse_id]["phone"] == "040 111" and unread[bora_id]["phone"] == "040 333"
    assert ayse.get(f"/api/v1/notices/{notice_id}/receipts").status_code == 403

    assert ayse.post(f"/api/v1/notifications/{notices_of(ayse)[0]['id']}/read").status_code == 204
    after = organiser.get(f"/api/v1/notices/{notice_id}/receipts").json()
    assert ayse_id not in {person["member_id"] for person in after["unread"]}
    assert after["read"] == receipts.json()["read"] + 1
    assert ayse.get("/api/v1/notifications", params={"unread": "true"}).json()["items"] == [
        item for item in ayse.get("/api/v1/notifications").json()["items"] if item["read_at"] is None]


def test_a_welcome_and_a_booking_reach_the_inbox_in_the_members_language(platform, people):
    ayse, _ = people["ayse"]
    kinds = {item["kind"]: item for item in ayse.get("/api/v1/notifications").json()["items"]}
    assert "welcome" in kinds and kinds["welcome"]["language"] == "tr"


def test_preferences_round_trip_and_bad_ones_are_refused(platform, people):
    bora, _ = people["bora"]
    assert bora.get("/api/v1/members/me/preferences").json()["channels"] == {"in_app": True, "email": False,
                                                                              "sms": False}
    chosen = {"channels": {"in_app": True, "email": True, "sms": False},
              "quiet_hours": {"from": "22:00", "until": "07:30"},
              "digest": "daily", "help_categories": ["garden", "tech"]}
    assert bora.put("/api/v1/members/me/preferences", json=chosen).json() == chosen
    assert bora.get("/api/v1/members/me/preferences").json() == chosen
    for bad in ({**chosen, "channels": {"in_app": False, "email": True}}, {**chosen, "digest": "hourly"},
                {**chosen, "channels": {"in_app": True, "email": False, "sms": True}},  # no SMS provider here
                {**chosen, "quiet_hours": {"from": "25:00", "until": "07:00"}},
                {**chosen, "help_categories": ["astrology"]}):
        assert bora.put("/api/v1/members/me/preferences", json=bad).status_code == 422


def test_the_printable_board_shows_this_weeks_notices_in_the_readers_language(platform, people):
    yusuf, _ = people["yusuf"]
    page = yusuf.get("/api/v1/notices/board.html")
    assert page.status_code == 200 and page.headers["Content-Type"].startswith("text/html")
    assert 'dir="rtl"' in page.text and 'lang="ar"' in page.text and "انقطاع المياه" in page.text
    assert yusuf.get("/api/v1/notices/board.html", params={"week": "2026-W99"}).status_code == 422
    assert yusuf.get("/api/v1/notices/board.html", params={"week": "0000-W01"}).status_code == 422
    assert yusuf.get("/api/v1/notices/board.html", params={"week": "9999-W52"}).status_code == 422
    assert yusuf.get("/api/v1/notices/board.html", params={"week": "2027-W53"}).status_code == 422  # 2027 has 52


def test_notices_are_for_organisers_to_publish_and_bad_ones_are_refused(platform, people):
    ayse, _ = people["ayse"]
    organiser = people["organiser"]
    assert ayse.post("/api/v1/notices", json={"title": "x", "body": "y", "audience": "all"}).status_code == 403
    for bad in ({"title": "x", "body": "y", "audience": "everyone"},
                {"title": "x", "body": "y", "audience": {"household": "A", "language": "de"}},
                {"title": "", "body": "y", "audience": "all"},
                {"title": "x", "body": "y", "audience": "all", "translations": {"xx": {"title": "a", "body": "b"}}}):
        assert organiser.post("/api/v1/notices", json=bad).status_code == 422, bad


def test_a_reader_of_leichte_sprache_gets_its_version_of_a_notice_else_german(platform, people):
    organiser, (bora, _) = people["organiser"], people["bora"]
    lotte, profile = platform.join(organiser, "lotte@example.org", display_name="Lotte", preferred_language="de-x-ls")
    assert profile["preferred_language"] == "de-x-ls" and profile["languages"] == ["de"]  # she speaks German
    welcome = next(item for item in lotte.get("/api/v1/notifications").json()["items"] if item["kind"] == "welcome")
    assert welcome["language"] == "de-x-ls" and welcome["body"].startswith("Sie sind jetzt Mitglied in Ihrem Haus.")

    published = organiser.post("/api/v1/notices", json={
        "title": "Wasser abgestellt", "body": "Am Dienstag ist von 9 bis 12 Uhr das Wasser abgestellt.",
        "language": "de", "audience": "all",
        "translations": {"de-x-ls": {"title": "Kein Wasser", "body": "Am Dienstag kommt kein Wasser.\n"
                                                                    "Von 9 Uhr bis 12 Uhr."}}})
    assert published.status_code == 201, published.text
    easy = notices_of(lotte)[0]
    assert (easy["title"], easy["language"]) == ("Kein Wasser", "de-x-ls")
    assert notices_of(bora)[0]["title"] == "Wasser abgestellt"
    assert [n["title"] for n in lotte.get("/api/v1/notices").json()["items"]][0] == "Kein Wasser"

    german_only = organiser.post("/api/v1/notices", json={"title": "Hoffest", "body": "Am Samstag im Hof.",
                                                          "language": "de", "audience": "all"})
    assert german_only.status_code == 201
    assert notices_of(lotte)[0]["title"] == "Hoffest"
    written_in_english = organiser.post("/api/v1/notices", json={
        "title": "Garden day", "body": "Bring gloves.", "language": "en", "audience": "all",
        "translations": {"de": {"title": "Gartentag", "body": "Bitte Handschuhe mitbringen."}}})
    assert written_in_english.status_code == 201
    assert (notices_of(lotte)[0]["title"], notices_of(lotte)[0]["language"]) == ("Gartentag", "de")

    only_easy = organiser.post("/api/v1/notices", json={"title": "Lese-Café", "body": "Am Montag lesen wir.",
                                                        "language": "de-x-ls", "audience": {"language": "de-x-ls"}})
    assert only_easy.status_code == 201, only_easy.text
    assert notices_of(lotte)[0]["title"] == "Lese-Café" and notices_of(bora)[0]["title"] == "Gartentag"
    assert organiser.post("/api/v1/notices", json={"title": "x", "body": "y", "audience": {"language": "de-x-foo"}
                                                   }).status_code == 422
