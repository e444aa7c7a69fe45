"""Batch precomputation: recently active people find their list cached after a version is
activated, in chunks of tasks; others are left to compute theirs on their next visit."""

import logging
from datetime import timedelta
from unittest import mock

import pytest
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerUnreachable

from recommender import selectors, services, tasks
from recommender.models import Interaction, ModelVersion
from recommender.services import model_version_activate
from recommender.serving import cached_list_read
from tests.factories import InteractionFactory, StimFactory, UserFactory
from tests.recommender.factories import ModelVersionFactory, ProfileFactory

LONG_AGO = timezone.now() - timedelta(days=60)


@pytest.fixture(autouse=True)
def _tasks_inline(monkeypatch):
    """The tasks and the group they fan out run in this process, as in the embedded mode, also
    when the suite runs against Redis with no worker (tests/integration has the real one)."""
    from stimsite.celery import app

    monkeypatch.setitem(app.conf, "task_always_eager", True)
    monkeypatch.setitem(app.conf, "task_eager_propagates", True)


def cached(person) -> bool:
    return cached_list_read(user_id=person.pk)[1] is not None


def gave_feedback(*, when=None):
    """A person with a profile who gave feedback (long ago when `when` says so)."""
    interaction = InteractionFactory(user=ProfileFactory().user, stim=StimFactory())
    if when:
        Interaction.objects.filter(pk=interaction.pk).update(created_at=when, updated_at=when)
    return interaction.user


@pytest.mark.parametrize(
    ("people", "chunk_size", "sizes"),
    [(5, 2, [2, 2, 1]), (4, 2, [2, 2]), (3, 200, [3]), (0, 2, [])],
)
def test_recent_people_are_split_into_chunks_of_the_given_size(
    db, monkeypatch, people, chunk_size, sizes
):
    for _ in range(people):
        gave_feedback()
    spy = mock.Mock(wraps=tasks.recommendations_precompute.s)
    monkeypatch.setattr(tasks.recommendations_precompute, "s", spy)

    counted = tasks.recommendations_refresh_recent.delay(chunk_size=chunk_size).get()

    assert counted == {"people": people, "chunks": len(sizes)}
    assert [len(call.args[0]) for call in spy.call_args_list] == sizes
    chunked = [user_id for call in spy.call_args_list for user_id in call.args[0]]
    assert len(chunked) == len(set(chunked)) == people


def test_after_the_refresh_recent_peoples_lists_are_cached_and_no_one_elses(db):
    StimFactory.create_batch(3)
    recent_feedback = gave_feedback()
    recent_login = UserFactory(last_login=timezone.now() - timedelta(days=1))
    old_feedback = gave_feedback(when=LONG_AGO)
    old_login = UserFactory(last_login=LONG_AGO)
    deactivated = UserFactory(last_login=timezone.now(), is_active=False)

    counted = tasks.recommendations_refresh_recent.delay(days=14).get()

    assert counted == {"people": 2, "chunks": 1}
    assert cached(recent_feedback) and cached(recent_login)
    assert not any(cached(person) for person in (old_feedback, old_login, deactivated))


def test_feedback_changed_recently_counts_as_recent_activity(db):
    person = gave_feedback(when=LONG_AGO)
    Interaction.objects.get(user=person).save()  # updated now

    assert services.recently_active_user_ids(days=14) == [person.pk]


def test_precomputing_twice_computes_each_list_once(db, monkeypatch):
    people = [gave_feedback() for _ in range(2)]
    ids = [person.pk for person in people]
    compute = mock.Mock(wraps=selectors._ranking_compute)
    monkeypatch.setattr(selectors, "_ranking_compute", compute)

    first = tasks.recommendations_precompute.delay(ids).get()
    again = tasks.recommendations_precompute.delay([*ids, max(ids) + 1000]).get()

    assert first == again == 2  # the unknown id is skipped
    assert sorted(call.kwargs["user"].pk for call in compute.call_args_list) == ids


def test_the_refresh_runs_on_the_default_queue_not_the_training_one():
    from stimsite.celery import app

    for task in (tasks.recommendations_precompute, tasks.recommendations_refresh_recent):
        assert app.amqp.router.route({}, task.name).get("queue").name == (
            app.conf.task_default_queue
        )


def test_activating_a_version_queues_the_refresh_once_it_commits(
    db, django_capture_on_commit_callbacks, monkeypatch
):
    version = ModelVersionFactory()
    refresh = mock.Mock()
    monkeypatch.setattr(tasks.recommendations_refresh_recent, "delay", refresh)

    with django_capture_on_commit_callbacks(execute=False):
        model_version_activate(version=version)
    refresh.assert_not_called()  # not before the commit

    with django_capture_on_commit_callbacks(execute=True):
        model_version_activate(version=version)
    refresh.assert_called_once_with()


def test_the_refreshed_lists_come_from_the_newly_activated_version(
    activate_served_model, django_capture_on_commit_callbacks
):
    StimFactory.create_batch(3)
    person = gave_feedback()

    with django_capture_on_commit_callbacks(execute=True):
        version = activate_served_model()

    stamp, ranked = cached_list_read(user_id=person.pk)
    assert stamp.version_id == version.pk
    assert (ranked.source, ranked.model_version) == ("model", version.pk)


def test_a_broker_that_cannot_take_the_refresh_does_not_undo_the_activation(
    db, django_capture_on_commit_callbacks, monkeypatch, caplog
):
    version = ModelVersionFactory()
    refresh = mock.Mock(side_effect=BrokerUnreachable("connection refused"))
    monkeypatch.setattr(tasks.recommendations_refresh_recent, "delay", refresh)

    with (
        caplog.at_level(logging.WARNING, logger="recommender"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        model_version_activate(version=version)

    version.refresh_from_db()
    assert version.status == ModelVersion.Status.ACTIVE
    refresh.assert_called_once_with()
    assert "could not be queued: connection refused" in caplog.text
