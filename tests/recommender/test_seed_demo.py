"""manage.py seed_demo: deterministic for a seed, idempotent, and it leaves usable demo accounts."""

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from recommender.models import Interaction
from stims.models import Stim
from users.models import Profile
from users.services import DEMO_PASSWORD

SYNTHETIC = "demo-person-"


def snapshot() -> dict:
    profiles = Profile.objects.filter(user__username__startswith=SYNTHETIC).order_by(
        "user__username"
    )
    return {
        "profiles": [
            (
                p.user.username,
                p.age,
                p.gender,
                p.sexuality,
                p.stimming_essentiality_score,
                sorted(p.neurodivergent_conditions.values_list("name", flat=True)),
                sorted(p.hobbies.values_list("name", flat=True)),
                sorted(p.current_stims.values_list("name", flat=True)),
            )
            for p in profiles
        ],
        "interactions": list(
            Interaction.objects.filter(user__username__startswith=SYNTHETIC)
            .order_by("user__username", "stim__name")
            .values_list(
                "user__username",
                "stim__name",
                "rating",
                "usage_frequency",
                "still_using",
                "harm_reported",
                "dismissed",
                "created_at",
            )
        ),
    }


@pytest.mark.django_db
def test_same_seed_gives_the_same_data_and_another_seed_does_not():
    call_command("seed_demo", users=12, seed=3, no_progress=True)
    first = snapshot()
    assert len(first["profiles"]) == 12 and len(first["interactions"]) > 12 * 5

    get_user_model().objects.filter(username__startswith=SYNTHETIC).delete()
    call_command("seed_demo", users=12, seed=3, no_progress=True)
    assert snapshot() == first

    get_user_model().objects.filter(username__startswith=SYNTHETIC).delete()
    call_command("seed_demo", users=12, seed=4, no_progress=True)
    assert snapshot() != first


@pytest.mark.django_db
def test_rerun_changes_nothing(capsys):
    call_command("seed_demo", users=8, seed=5, no_progress=True)
    first = snapshot()
    capsys.readouterr()
    call_command("seed_demo", users=8, seed=5, no_progress=True)
    output = capsys.readouterr().out
    assert "stims: 0 created, 0 updated, 149 unchanged" in output
    assert "users: 0 created, 0 updated, 8 unchanged" in output
    assert snapshot() == first


@pytest.mark.django_db
def test_demo_accounts_can_log_in_and_the_catalogue_is_loaded(client, capsys):
    call_command("seed_demo", users=5, seed=1, no_progress=True)
    output = capsys.readouterr().out
    assert DEMO_PASSWORD in output and "editor" in output

    assert Stim.objects.count() == 149
    assert Stim.objects.filter(name="Head banging", harmfulness_score__gte=0.9).exists()
    for username in ("demo", "admin", "editor"):
        assert client.login(username=username, password=DEMO_PASSWORD), username
    editor = get_user_model().objects.get(username="editor")
    assert editor.is_staff and not editor.is_superuser
    assert editor.has_perm("stims.change_stim") and not editor.has_perm("users.view_health_data")
    demo_profile = Profile.objects.get(user__username="demo")
    assert demo_profile.current_stims.filter(harmfulness_score__gte=0.6).exists()


@pytest.mark.django_db
def test_refused_in_production(settings):
    settings.PRODUCTION = True
    with pytest.raises(CommandError, match="not in production"):
        call_command("seed_demo", users=5, seed=1)
