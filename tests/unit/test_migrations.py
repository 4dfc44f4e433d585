"""The schema check every process makes without Alembic agrees with Alembic."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from sqlalchemy import create_engine

from modelreg.store.sql import migrate


def test_head_is_the_newest_migration_in_the_folder():
    assert migrate.scripted_head() == migrate.HEAD, (
        "a new migration was added: set migrate.HEAD to its revision"
    )


def test_current_revision_follows_each_upgrade(tmp_path: Path):
    engine = create_engine(f"sqlite:///{tmp_path / 'r.db'}")
    assert migrate.current_revision(engine) is None
    migrate.upgrade(engine, "0014")
    assert migrate.current_revision(engine) == "0014"
    migrate.upgrade(engine)
    assert migrate.current_revision(engine) == migrate.HEAD
    engine.dispose()


def test_opening_a_current_registry_does_not_import_alembic(tmp_path: Path):
    """Alembic costs most of an embedded command's start; it is needed only to migrate."""
    code = (
        "import sys\n"
        "from pathlib import Path\n"
        "from modelreg.settings import Settings\n"
        "from modelreg.wiring import open_services\n"
        f"open_services(Settings(home=Path({str(tmp_path / 'home')!r}))).close()\n"
        "print('alembic' in sys.modules)\n"
    )

    def alembic_loaded() -> str:
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        return done.stdout.strip()

    assert alembic_loaded() == "True"  # a new registry: migrated
    assert alembic_loaded() == "False"  # the same registry again: only checked
