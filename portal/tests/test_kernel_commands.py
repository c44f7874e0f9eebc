"""portal.kernel.commands: the file-loading commands (import_roster, instrument_load) refuse clearly."""

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from portal.kernel.commands import actor_argument, read_file_argument
from portal.tests.factories import UserFactory

COMMANDS = ["import_roster", "instrument_load"]


@pytest.mark.parametrize("command", COMMANDS)
def test_a_missing_file_is_a_command_error_naming_it(command, tmp_path, db):
    with pytest.raises(CommandError, match=r"cannot read .*nowhere\.txt: No such file"):
        call_command(command, str(tmp_path / "nowhere.txt"))


@pytest.mark.parametrize("command", COMMANDS)
def test_an_unknown_actor_is_refused_before_anything_is_read_into_the_database(command, tmp_path, db):
    path = tmp_path / "file.csv"
    path.write_bytes(b"anything")
    with pytest.raises(CommandError, match="no user named ghost"):
        call_command(command, str(path), "--actor", "ghost")


def test_a_directory_is_not_readable_as_a_file(tmp_path):
    with pytest.raises(CommandError, match="cannot read"):
        read_file_argument(tmp_path)


def test_the_actor_is_the_named_user_and_none_without_the_option(db):
    user = UserFactory(username="registrar")
    assert actor_argument("registrar") == user
    assert actor_argument(None) is None
    assert actor_argument("") is None
