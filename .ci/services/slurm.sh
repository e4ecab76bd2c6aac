# Slurm for palfa-tracker's queue-manager test: a one-node cluster on localhost.
#
# Sourced by .ci/run (bash, `set -euo pipefail`, as root, Debian 12). Installs
# slurm-wlm 22.05 and munge from Debian's packages if they are missing, starts
# munged, writes a slurm.conf under a temporary directory (no systemd, no
# cgroups, no accounting storage), starts `slurmctld -D` and `slurmd -D` in the
# background and waits until the node is idle. Exports SLURM_CONF (so that
# sbatch/squeue/scancel find the cluster) and PALFA_TEST_SLURM=1 (so that the
# Slurm test runs and fails if the cluster is not reachable).
#
# Run it alone with `bash -c 'set -euo pipefail; source .ci/services/slurm.sh'`;
# it prints where the logs are. Nothing here outlives the machine: the daemons
# run until they are killed (their pids are in $PALFA_SLURM_DIR/*.pid).

palfa_slurm_setup() {
  local sudo=""
  if [ "$(id -u)" != 0 ]; then
    if command -v sudo >/dev/null; then sudo="sudo"; else
      echo "slurm.sh: needs root (or sudo) to install and start Slurm" >&2
      return 1
    fi
  fi
  local pkgs="slurm-wlm slurmctld slurmd slurm-client munge" missing="" p
  for p in $pkgs; do dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"; done
  if [ -n "$missing" ]; then
    echo "slurm.sh: installing$missing"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends $missing
  fi

  # munge: a key (the package makes one; make it if absent) and the daemon.
  $sudo mkdir -p /etc/munge /run/munge /var/log/munge /var/lib/munge
  if [ ! -s /etc/munge/munge.key ]; then
    $sudo dd if=/dev/urandom of=/etc/munge/munge.key bs=1 count=1024 status=none
  fi
  $sudo chown -R munge:munge /etc/munge /run/munge /var/log/munge /var/lib/munge
  $sudo chmod 700 /etc/munge
  $sudo chmod 600 /etc/munge/munge.key
  $sudo chmod 755 /run/munge
  if ! munge -n 2>/dev/null | unmunge >/dev/null 2>&1; then
    $sudo runuser -u munge -- /usr/sbin/munged --force
    local i
    for i in $(seq 50); do munge -n 2>/dev/null | unmunge >/dev/null 2>&1 && break; sleep 0.1; done
    munge -n | unmunge >/dev/null || { echo "slurm.sh: munged does not answer" >&2; return 1; }
  fi

  # A cluster started by an earlier run on this machine: use it.
  local pid conf
  pid="$(pgrep -x slurmctld | head -n 1 || true)"
  if [ -n "$pid" ]; then
    conf="$(tr '\0' '\n' </proc/"$pid"/cmdline | sed -n '/^-f$/{n;p;}')"
    if [ -n "$conf" ] && [ -f "$conf" ] && SLURM_CONF="$conf" sinfo -h -n localhost -o %t 2>/dev/null | grep -q idle; then
      export SLURM_CONF="$conf"
      export PALFA_SLURM_DIR="$(dirname "$conf")"
      export PALFA_TEST_SLURM=1
      echo "slurm.sh: one-node Slurm already up (SLURM_CONF=$SLURM_CONF)"
      return 0
    fi
    echo "slurm.sh: a slurmctld (pid $pid) runs but its cluster is not usable; stop it first" >&2
    return 1
  fi

  # slurm.conf and the daemons' directories under one temporary directory.
  local dir
  dir="$(mktemp -d /tmp/palfa-slurm.XXXXXX)"
  chmod 755 "$dir"
  mkdir -p "$dir/state" "$dir/spool" "$dir/log"
  local ncpu
  ncpu="$(nproc)"
  cat >"$dir/slurm.conf" <<EOF
ClusterName=palfa-ci
SlurmctldHost=localhost
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
MpiDefault=none
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/backfill
ReturnToService=2
MinJobAge=600
SlurmctldPort=6817
SlurmdPort=6818
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
NodeName=localhost CPUs=$ncpu RealMemory=1000 State=UNKNOWN
PartitionName=debug Nodes=localhost Default=YES MaxTime=INFINITE State=UP
EOF
  export SLURM_CONF="$dir/slurm.conf"
  export PALFA_SLURM_DIR="$dir"

  # -D: stay in the foreground (we background them); -i: ignore stale state.
  # setsid, so that the daemons are not in this shell's process group.
  $sudo setsid /usr/sbin/slurmctld -D -i -f "$SLURM_CONF" >"$dir/log/slurmctld.stdout" 2>&1 </dev/null &
  local i
  for i in $(seq 100); do scontrol ping 2>/dev/null | grep -q UP && break; sleep 0.2; done
  scontrol ping | grep -q UP || {
    echo "slurm.sh: slurmctld did not start; its log:" >&2
    tail -n 30 "$dir/log/slurmctld.log" "$dir/log/slurmctld.stdout" >&2 || true
    return 1
  }
  $sudo setsid /usr/sbin/slurmd -D -N localhost -f "$SLURM_CONF" >"$dir/log/slurmd.stdout" 2>&1 </dev/null &
  local state=""
  for i in $(seq 150); do
    state="$(sinfo -h -n localhost -o %t 2>/dev/null || true)"
    case "$state" in idle*) break ;; esac
    sleep 0.2
  done
  case "$state" in
    idle*) ;;
    *)
      echo "slurm.sh: the node is not idle (state '$state'); slurmd's log:" >&2
      tail -n 30 "$dir/log/slurmd.log" "$dir/log/slurmd.stdout" >&2 || true
      return 1
      ;;
  esac
  export PALFA_TEST_SLURM=1
  echo "slurm.sh: one-node Slurm up (SLURM_CONF=$SLURM_CONF, logs in $dir/log)"
}

palfa_slurm_setup
