"""Each addon builds as an ``odoo-addon-<name>`` wheel (whool, as OCA publishes them) whose
dependencies name the Odoo series and the OCA wheels the addon needs."""

import ast
import email
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
ADDONS = sorted(path.parent.name for path in REPO.glob("*/__manifest__.py"))
GUARDIAN = "odoo-addon-crm_guardian==18.0.*"
OCA_DEPENDENCIES = {
    "crm_guardian_helpdesk": {"odoo-addon-helpdesk_mgmt==18.0.*", GUARDIAN},
    "crm_guardian_contract": {"odoo-addon-contract==18.0.*", GUARDIAN},
}


def _manifest(addon):
    return ast.literal_eval((REPO / addon / "__manifest__.py").read_text())


def _run_pip(*args):
    result = subprocess.run(
        [sys.executable, "-m", "pip", "--disable-pip-version-check", *args],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("addon", ADDONS)
def test_manifest_declares_maintenance(addon):
    manifest = _manifest(addon)
    assert manifest["version"].startswith("18.0.")
    assert manifest["development_status"] in {"Alpha", "Beta", "Production/Stable", "Mature"}
    assert manifest["maintainers"], "an addon names who maintains it"
    assert (REPO / addon / "pyproject.toml").is_file()


@pytest.mark.parametrize("addon", ADDONS)
def test_addon_builds_as_a_wheel(addon, tmp_path):
    _run_pip("wheel", "--no-deps", "--no-build-isolation", "-w", str(tmp_path), str(REPO / addon))
    (wheel,) = tmp_path.glob("*.whl")
    assert wheel.name.startswith(f"odoo_addon_{addon}-18.0.")
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        metadata_name = next(name for name in names if name.endswith(".dist-info/METADATA"))
        metadata = email.message_from_bytes(archive.read(metadata_name))
    assert f"odoo/addons/{addon}/__manifest__.py" in names
    requires = set(metadata.get_all("Requires-Dist"))
    assert "odoo==18.0.*" in requires
    assert OCA_DEPENDENCIES.get(addon, set()) <= requires
    _assert_wheel_is_complete(addon, wheel, tmp_path / "target")


def _assert_wheel_is_complete(addon, wheel, target):
    """Installed on its own (no dependencies, into a scratch folder), the wheel holds every
    file of the addon that git tracks (but its build file)."""
    _run_pip("install", "--no-deps", "--no-compile", "--target", str(target), str(wheel))
    installed_root = target / "odoo" / "addons" / addon
    installed = {str(path.relative_to(installed_root)) for path in installed_root.rglob("*")}
    tracked = subprocess.run(
        ["git", "ls-files", addon],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    missing = [
        name
        for name in tracked
        if name.split("/", 1)[1] not in installed and name != f"{addon}/pyproject.toml"
    ]
    assert not missing, f"the wheel lacks {missing[:10]}"
