"""Signing in by emailed link in headless Chromium, in German: the login page's "send me a sign-in link" form, its
error state and its answer pass axe-core with no violation, and the answer says the same for any address."""
from tests.support.browser import axe_violations, describe, screenshot


def test_asking_for_a_sign_in_link_in_german_is_accessible_and_says_the_same_for_any_address(platform, browser):
    context = browser.new_context(viewport={"width": 1100, "height": 900}, locale="de")
    page = context.new_page()
    page.goto(f"{platform.url}/login")
    page.locator("footer button[value='de']").click()
    link_form = page.locator("main form[action$='/login/link']")
    assert "Anmelde-Link per E-Mail schicken" in link_form.inner_text()
    assert axe_violations(page) == [], describe(axe_violations(page))

    link_form.locator("button[type=submit]").click()  # no address: said next to the field
    assert page.locator("#link_email-error").is_visible()
    screenshot(page, "de-login-link-errors")
    assert axe_violations(page) == [], describe(axe_violations(page))

    answers = []
    for address in ("organiser@example.org", "niemand@example.org"):
        page.goto(f"{platform.url}/login")
        page.locator("#link_email").fill(address)
        page.locator("main form[action$='/login/link'] button[type=submit]").click()
        page.wait_for_url(f"{platform.url}/login/link-sent")
        answers.append(page.locator("main").inner_text())
    assert answers[0] == answers[1] and "Er funktioniert einmal, 15 Minuten lang." in answers[0]
    screenshot(page, "de-login-link-sent")
    assert axe_violations(page) == [], describe(axe_violations(page))
    context.close()
