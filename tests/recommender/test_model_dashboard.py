"""The staff model dashboard: the serving version against its baselines, its training curve,
recent training runs and the way into the admin flows; for staff who may see versions."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import timezone

from recommender.models import ModelVersion, TrainingRun
from tests.factories import StaffUserFactory, UserFactory
from tests.recommender.factories import ModelVersionFactory, TrainingRunFactory, ranking

DASHBOARD = reverse("recommender:model_dashboard")
RETRAIN = reverse("admin:recommender_trainingrun_retrain")
VERSIONS = reverse("admin:recommender_modelversion_changelist")
Status = ModelVersion.Status


@pytest.fixture
def staff_client(client, superuser):
    client.force_login(superuser)
    return client


def dashboard_html(client) -> str:
    response = client.get(DASHBOARD)
    assert response.status_code == 200
    return response.content.decode()


def metrics_row(label: str, ndcg: float, rmse: str = "-") -> str:
    """The row of a ranking stored by `ranking(ndcg)`: NDCG, precision, recall, RMSE."""
    figures = (f"{ndcg:.4f}", f"{ndcg / 2:.4f}", f"{ndcg / 3:.4f}", rmse)
    cells = "".join(f'<td class="figure">{figure}</td>' for figure in figures)
    return f'<tr><th scope="row">{label}</th>{cells}</tr>'


@pytest.fixture
def serving(db):
    return ModelVersionFactory(
        status=Status.ACTIVE,
        ndcg=0.3123,
        with_curve=True,
        activated_at=timezone.now(),
        promotion_note="activated: NDCG@10 0.3123 against the popularity ranking's 0.2011",
    )


def test_staff_see_the_serving_version_its_note_and_its_data(staff_client, serving):
    html = dashboard_html(staff_client)

    assert "<h1>Model dashboard</h1>" in html
    assert f"Model version {serving.pk}</a>" in html
    assert reverse("admin:recommender_modelversion_change", args=[serving.pk]) in html
    assert "activated: NDCG@10 0.3123 against the popularity ranking&#x27;s 0.2011" in html
    assert "33 people, 149 stims, 614 interactions" in html


def test_the_evaluation_is_a_table_of_the_model_against_each_baseline(staff_client, serving):
    html = dashboard_html(staff_client)

    for header in ("NDCG@10", "precision@10", "recall@10", "RMSE"):
        assert f'<th scope="col">{header}</th>' in html
    assert metrics_row("This version", 0.3123, rmse="0.2100") in html
    assert metrics_row("Popularity baseline", 0.2011, rmse="0.2500") in html
    assert metrics_row("Tag overlap baseline", 0.1502) in html
    assert "Version serving before it" not in html


def test_the_champion_it_was_measured_against_has_its_own_row(staff_client, db):
    version = ModelVersionFactory(status=Status.ACTIVE)
    version.metrics["ranking"]["champion"] = ranking(0.2904)
    version.save()

    assert metrics_row("Version serving before it", 0.2904) in dashboard_html(staff_client)


def test_the_training_curve_is_shown_with_a_description(staff_client, serving):
    html = dashboard_html(staff_client)

    curve = reverse("admin:recommender_modelversion_curve", args=[serving.pk])
    assert f'<img src="{curve}"' in html
    assert 'alt="Training and validation loss over 2 epochs"' in html
    assert staff_client.get(curve)["Content-Type"] == "image/png"


@pytest.mark.parametrize(
    ("missing", "message", "not_shown"),
    [
        ({"training_curve": ""}, "This version stored no training curve.", "<img"),
        ({"metrics": {}}, "This version stored no held-out evaluation.", 'class="metrics"'),
    ],
)
def test_a_version_without_a_curve_or_evaluation_says_so(
    staff_client, db, missing, message, not_shown
):
    ModelVersionFactory(status=Status.ACTIVE, **missing)

    html = dashboard_html(staff_client)

    assert message in html
    assert not_shown not in html


def test_with_no_serving_version_it_says_so_and_offers_to_retrain(staff_client, db):
    ready = ModelVersionFactory(status=Status.READY)

    html = dashboard_html(staff_client)

    assert "No model version is serving." in html
    assert f'href="{RETRAIN}">Retrain now</a>' in html
    assert f"Model version {ready.pk}" not in html
    assert "Held-out evaluation" not in html


def test_only_the_serving_version_is_shown_not_a_newer_ready_one(staff_client, serving):
    newer = ModelVersionFactory(status=Status.READY)

    html = dashboard_html(staff_client)

    assert f"Model version {serving.pk}</a>" in html
    assert f"Model version {newer.pk}</a>" not in html


def test_the_last_five_training_runs_are_listed_newest_first_with_links(staff_client, db):
    now = timezone.now()
    runs = TrainingRunFactory.create_batch(6)
    for age, run in enumerate(reversed(runs)):  # the last one made is the newest
        TrainingRun.objects.filter(pk=run.pk).update(created_at=now - timedelta(hours=age))
    TrainingRun.objects.filter(pk=runs[-1].pk).update(
        state=TrainingRun.State.RUNNING, progress={"epoch": 2, "epochs": 3}
    )

    html = dashboard_html(staff_client)

    links = [
        f'href="{reverse("admin:recommender_trainingrun_change", args=[run.pk])}"' for run in runs
    ]
    assert links[0] not in html
    positions = [html.index(link) for link in reversed(links[1:])]
    assert positions == sorted(positions)
    assert "epoch 2 of 3" in html
    assert "Running" in html and "Succeeded" in html


def test_it_links_to_the_admin_flows(staff_client, serving):
    html = dashboard_html(staff_client)

    assert f'href="{RETRAIN}">Retrain now</a>' in html
    assert f'href="{VERSIONS}">Model versions: activate or roll back</a>' in html
    assert reverse("admin:recommender_trainingrun_changelist") in html
    assert "No training runs yet." in html


@pytest.mark.parametrize("visitor", [None, UserFactory], ids=["anonymous", "not staff"])
def test_people_who_are_not_staff_are_sent_to_the_admin_login(client, serving, visitor):
    if visitor:
        client.force_login(visitor())

    response = client.get(DASHBOARD)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


def test_staff_who_may_not_see_model_versions_are_refused(client, serving):
    client.force_login(StaffUserFactory())

    assert client.get(DASHBOARD).status_code == 403


def test_staff_who_may_see_model_versions_get_in(client, serving):
    member = StaffUserFactory()
    member.user_permissions.add(Permission.objects.get(codename="view_modelversion"))
    client.force_login(member)

    assert f"Model version {serving.pk}</a>" in dashboard_html(client)


def test_the_model_versions_admin_links_to_the_dashboard(staff_client, db):
    html = staff_client.get(VERSIONS).content.decode()

    assert f'href="{DASHBOARD}">Model dashboard</a>' in html
