"""What the root conftest.py sets up for every test: the shared world (`_WorldSnapshot`: tests that share it
cannot see each other's changes, tests that do not ask for it do not see it; the tests run in file order, each
checking what the one before it did) and the test run's password hashers."""

import pytest
from django.contrib.auth.hashers import Argon2PasswordHasher, check_password, make_password

from portal.models import College, Student, User


def _shared(world) -> bool:
    """The test runs inside the shared world's transaction: two atomic blocks, the world's and the test's own."""
    from django.db import connection

    return len(connection.atomic_blocks) == 2


def test_the_first_world_of_a_process_may_be_built_in_the_tests_own_transaction(world):
    # Only once the test database exists can the world be shared: after this test, it does.
    assert world.student_a.name == "买买提·艾力"


def test_a_test_changes_the_world_in_the_database_and_in_memory(world):
    assert _shared(world)
    world.student_a.name = "改过的名字"
    world.student_a.save(update_fields=["name"])
    world.personas["station"].username = "renamed-in-memory"
    College.objects.create(code="ZZ", name="只在这个测试里的学院")
    assert Student.objects.get(pk=world.student_a.pk).name == "改过的名字"


def test_the_next_test_gets_the_world_as_it_was_built(world):
    assert _shared(world)
    assert world.student_a.name == "买买提·艾力"
    assert Student.objects.get(pk=world.student_a.pk).name == "买买提·艾力"
    assert world.personas["station"].username == "station"
    assert not College.objects.filter(code="ZZ").exists()
    # One copy per test: the persona and the student's account are the same object, as they were when built.
    assert world.personas["student"] is world.student_a.user


@pytest.mark.django_db
def test_a_test_without_the_world_sees_an_empty_database():
    assert not User.objects.exists()
    assert not College.objects.exists()


def test_after_that_the_world_is_there_again(world):
    assert _shared(world)
    assert set(User.objects.values_list("username", flat=True)) >= {"station", "station_b", "admin"}
    assert College.objects.count() == 2


@pytest.mark.django_db(transaction=True)
def test_a_transactional_test_builds_its_own_world_and_commits_it(world):
    from django.db import connection

    assert not connection.in_atomic_block  # no shared transaction around it: its writes are committed
    assert College.objects.count() == 2


def test_passwords_are_hashed_quickly_in_tests_and_old_hashes_still_verify():
    fast = make_password("晴天-湖边-散步-喝茶-9")
    assert fast.startswith("md5$")
    # A hash made with the project's hasher (the seeded demo accounts, a copied database) still signs in.
    argon2 = Argon2PasswordHasher().encode("晴天-湖边-散步-喝茶-9", "somesaltsomesalt")
    assert check_password("晴天-湖边-散步-喝茶-9", argon2)
    assert not check_password("wrong", argon2)


def test_the_real_hashers_are_argon2_first(real_password_hashers):
    assert make_password("晴天-湖边-散步-喝茶-9").startswith("argon2$argon2id$")
