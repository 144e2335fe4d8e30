# How jobs run. "local": utils/run.sh on this machine; "slurm": utils/slurm.sh (sbatch --wait);
# set SLURM_OPTS for partitions/accounts. Both take the same arguments:
#   ${train_cmd} --gpu N <log> <command...>
cmd_backend=${cmd_backend:-local}
case "${cmd_backend}" in
    local) train_cmd="utils/run.sh"; decode_cmd="utils/run.sh" ;;
    slurm) train_cmd="utils/slurm.sh --mem 64G --time 7-00:00:00"; decode_cmd="utils/slurm.sh --mem 16G" ;;
    *) echo "cmd.sh: unknown cmd_backend '${cmd_backend}' (local|slurm)" >&2; return 1 ;;
esac
export train_cmd decode_cmd
