"""What a person does in the Django admin, as Playwright steps (login, select2, inlines,
drag and drop). Each step waits for what it needs; none sleeps."""

from __future__ import annotations

from typing import Any

from tests.factories.users import PASSWORD


def login(page: Any, user: Any, password: str = PASSWORD) -> None:
    """Log in through the admin's login form; lands on the admin index."""
    page.goto("/admin/login/?next=/admin/")
    page.fill("#id_username", user.email)
    page.fill("#id_password", password)
    page.locator('#login-form input[type="submit"]').click()
    page.wait_for_url("**/admin/")
    assert page.locator("#user-tools").is_visible(), "login failed"


def pick_autocomplete(page: Any, select: str, typed: str, choice: str) -> None:
    """Choose ``choice`` in the select2 autocomplete widget of ``select`` by typing ``typed``."""
    page.locator(f"{select} + .select2 .select2-selection").click()
    search = page.locator(".select2-container--open .select2-search__field")
    search.fill(typed)
    page.locator(
        ".select2-container--open .select2-results__option", has_text=choice
    ).first.click()
    # The widget writes the choice into the hidden <select> the form posts.
    selected = page.locator(f"{select} option:checked", has_text=choice)
    assert selected.count() == 1, f"{choice!r} was not selected in {select}"


def add_inline_row(page: Any, prefix: str) -> None:
    """Click the inline's "Add another ..." link and wait for the new row."""
    rows = page.locator(f"#{prefix}-group tr.form-row:not(.empty-form)")
    before = rows.count()
    page.locator(f"#{prefix}-group .add-row a").click()
    page.wait_for_function(
        "([selector, n]) => document.querySelectorAll(selector).length > n",
        arg=[f"#{prefix}-group tr.form-row:not(.empty-form)", before],
    )


def drag_row(page: Any, prefix: str, *, source: int, target: int) -> None:
    """Drag saved row ``source`` of a sortable tabular inline onto row ``target`` with
    the mouse, by the handle django-admin-sortable2 puts in each saved row.

    A drag on a loaded machine can land one row short (SortableJS reorders on the
    pointer moves it sees), so the drag is checked and, if needed, repeated.
    """
    rows = page.locator(f"#{prefix}-group tr.has_original")
    moved_id = rows.nth(source).locator("input[name$='-id']").input_value()
    for _attempt in range(3):
        current = [
            rows.nth(i).locator("input[name$='-id']").input_value()
            for i in range(rows.count())
        ]
        if current[target] == moved_id:
            return
        origin = current.index(moved_id)
        handle = rows.nth(origin).locator("td.original p")
        destination = rows.nth(target).locator("td.original p")
        handle.scroll_into_view_if_needed()
        start = handle.bounding_box()
        end = destination.bounding_box()
        assert start is not None, "the handle is not on the page"
        assert end is not None, "the target row is not on the page"
        page.mouse.move(start["x"] + 5, start["y"] + start["height"] / 2)
        page.mouse.down()
        page.wait_for_timeout(100)
        # Small steps, as a hand does: SortableJS reorders on the moves it sees.
        going_up = end["y"] < start["y"]
        end_y = end["y"] + (2 if going_up else end["height"] - 2)
        page.mouse.move(start["x"] + 5, end_y, steps=30)
        page.wait_for_timeout(100)
        page.mouse.up()
        page.wait_for_timeout(200)
    final = rows.nth(target).locator("input[name$='-id']").input_value()
    assert final == moved_id, "the row did not move where it was dragged"


def save(page: Any, button: str = "_save") -> None:
    """Press a submit-row button (``_save``, ``_continue``, ``_addanother``) and wait
    for the next page."""
    click_and_wait(page, page.locator(f'input[name="{button}"]').first)


def click_and_wait(page: Any, target: Any) -> None:
    """Click what submits a form or follows a link, and wait for the page it loads."""
    with page.expect_navigation():
        target.click()


def run_action(page: Any, pk: Any, action: str) -> None:
    """On a changelist, tick the row of ``pk``, choose ``action`` and press Go."""
    page.locator(f'input[name="_selected_action"][value="{pk}"]').check()
    page.select_option('select[name="action"]', action)
    click_and_wait(page, page.locator('button[name="index"]'))


def success_message(page: Any) -> str:
    """The admin's message list (success and errors), or the form's errors."""
    messages = page.locator("ul.messagelist")
    if messages.count():
        return messages.inner_text()
    errors = page.locator(".errornote, .errorlist")
    return "no message; errors: " + " | ".join(errors.all_inner_texts())
