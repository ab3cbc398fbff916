"""Where things are: every path and prefix derived from the settings, by one set of rules.

An instance (``sandbox.instance``) has its own folders inside the Asterisk chroot
(:class:`InstancePaths`, as Asterisk sees them), its own Redis prefix, and files in the state
folder. Settings that name a folder explicitly (production) win over the chroot's layout.
:func:`resolve_paths` is called once per :class:`ivr_acd.settings.Settings`
(``settings.paths``); nothing else works these values out again.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from wire import redis_keys

CHROOT = "sid-root"  # the Asterisk sandbox's chroot, inside ``sandbox.cache_dir``
CDR_JOURNAL = "cdr-custom/ivr-acd.csv"  # inside Asterisk's log folder (cdr_custom.conf)


@dataclass(frozen=True)
class InstancePaths:
    """Folders of one instance, as Asterisk sees them inside the chroot."""

    etc: str
    run: str
    log: str
    spool: str
    db: str
    cache: str
    sounds: str
    recordings: str

    @classmethod
    def for_instance(cls, instance: str) -> InstancePaths:
        base = f"/var/lib/ivr-acd/{instance}"
        return cls(
            etc=f"/etc/ivr-acd/{instance}",
            run=f"{base}/run",
            log=f"{base}/log",
            spool=f"{base}/spool",
            db=f"{base}/db",
            cache=f"{base}/cache",
            sounds=f"{base}/sounds",
            recordings=f"{base}/recordings",
        )

    def folders(self) -> tuple[str, ...]:
        """The folders an instance writes to (its configuration folder aside)."""
        return (self.run, self.log, self.spool, self.db, self.cache, self.sounds, self.recordings)


def in_chroot(root: Path, path: str) -> Path:
    """The host path of ``path`` inside the chroot at ``root``."""
    return root / path.lstrip("/")


@dataclass(frozen=True)
class Overrides:
    """Folders the settings name explicitly; ``None`` falls back to the chroot's layout."""

    config_dir: Path | None = None
    cdr_journal: Path | None = None
    prompts_host_dir: Path | None = None
    prompts_asterisk_dir: str | None = None
    recordings_dir: str | None = None


@dataclass(frozen=True)
class Paths:
    instance: InstancePaths  # the instance's folders as Asterisk sees them
    chroot: Path  # the sandbox's root on this host
    redis_prefix: str  # every Redis key of this instance starts with it
    asterisk_config: Path  # where Asterisk reads its configuration, as this host sees it
    cdr_journal: Path  # the CDR journal Asterisk writes, as this host sees it
    prompts_host: Path  # where prompt WAVs are written
    prompts_asterisk: str  # ...the same folder as Asterisk sees it
    recordings: str  # where Asterisk writes complaint recordings (as Asterisk sees it)
    state_dir: Path
    spool: Path  # CDRs the CRM could not take yet
    secrets: Path  # generated secrets (ivr_acd.secrets)
    crm_db: Path  # the SQLite CRM when no database URL is set

    def in_chroot(self, path: str) -> Path:
        return in_chroot(self.chroot, path)


def resolve_paths(
    instance: str, cache_dir: Path, state_dir: Path, overrides: Overrides = Overrides()
) -> Paths:
    folders = InstancePaths.for_instance(instance)
    chroot = cache_dir / CHROOT
    prompts_host, prompts_asterisk = in_chroot(chroot, folders.sounds), folders.sounds
    if overrides.prompts_host_dir is not None and overrides.prompts_asterisk_dir is not None:
        prompts_host, prompts_asterisk = overrides.prompts_host_dir, overrides.prompts_asterisk_dir
    return Paths(
        instance=folders,
        chroot=chroot,
        redis_prefix=redis_keys.prefix_for(instance),
        asterisk_config=overrides.config_dir or in_chroot(chroot, folders.etc),
        cdr_journal=overrides.cdr_journal or in_chroot(chroot, folders.log) / CDR_JOURNAL,
        prompts_host=prompts_host,
        prompts_asterisk=prompts_asterisk,
        recordings=overrides.recordings_dir or folders.recordings,
        state_dir=state_dir,
        spool=state_dir / "spool",
        secrets=state_dir / "secrets.json",
        crm_db=state_dir / "crm.db",
    )
