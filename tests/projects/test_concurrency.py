"""Two people save the same record at once, on two real PostgreSQL connections."""

import threading
from decimal import Decimal

import pytest
from django.db import connection, connections, transaction

from core.concurrency import ConcurrentEditError
from projects import services
from projects.models import Project
from tests.factories import MembershipFactory, ProjectFactory, UserFactory


@pytest.mark.django_db(transaction=True)
def test_second_of_two_simultaneous_saves_is_refused_and_nothing_is_overwritten():
    if connection.vendor != "postgresql":
        pytest.skip("row locks across connections are tested on PostgreSQL (CI runs it)")
    alice = UserFactory(username="alice")
    # Still being planned (no baseline): its editors set the BAC directly.
    project = ProjectFactory(manager=alice, baseline_start=None, baseline_end=None)
    bob = MembershipFactory(portfolio=project.portfolio, role="pmo").user
    alice_saved = threading.Event()
    bob_started = threading.Event()
    outcome = {}

    def alice_edits():
        try:
            with transaction.atomic():
                mine = Project.objects.get(pk=project.pk)
                services.project_update(
                    project=mine,
                    data={"budget": Decimal("111111")},
                    expected_version=1,
                    by=alice,
                )
                alice_saved.set()
                # Hold the row until Bob's UPDATE is queued behind our lock.
                bob_started.wait(timeout=10)
                threading.Event().wait(0.5)
            outcome["alice"] = "saved"
        finally:
            connections.close_all()

    def bob_edits():
        try:
            alice_saved.wait(timeout=10)
            theirs = Project.objects.get(pk=project.pk)  # reads the committed version 1
            theirs.version = 1
            bob_started.set()
            try:
                services.project_update(
                    project=theirs,
                    data={"budget": Decimal("222222")},
                    expected_version=1,
                    by=bob,
                )
                outcome["bob"] = "saved"
            except ConcurrentEditError as error:
                outcome["bob"] = error
        finally:
            connections.close_all()

    threads = [threading.Thread(target=alice_edits), threading.Thread(target=bob_edits)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert outcome["alice"] == "saved"
    assert isinstance(outcome["bob"], ConcurrentEditError)
    assert [change.field for change in outcome["bob"].changes] == ["budget"]
    assert outcome["bob"].changed_by == alice
    project.refresh_from_db()
    assert (project.budget, project.version) == (Decimal("111111"), 2)
