"""`make backup` and `make restore`: a house filled through the API, backed up, wiped and restored, looks exactly
the same through every view of the API."""
from tests.support.database import drop_databases
from tests.support.house import fill, views


def test_a_house_backed_up_wiped_and_restored_shows_every_view_unchanged(platform, tmp_path):
    people = fill(platform)
    before = views(people)
    made = platform.cli("scripts.backup", "backup", "--to", str(tmp_path))
    assert made.returncode == 0, made.stderr
    [archive] = tmp_path.glob("cohousing-backup-*.tar.gz")

    refused = platform.cli("scripts.backup", "restore", str(archive))
    assert refused.returncode != 0 and "already hold data" in refused.stderr  # never over a living store

    platform.stop_processes()
    drop_databases(platform.database_uri, *platform.databases.values())
    restored = platform.cli("scripts.backup", "restore", str(archive))
    assert restored.returncode == 0, restored.stderr
    platform.start()
    assert views(people) == before
