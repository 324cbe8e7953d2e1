#!/usr/bin/env bash
# bench/spin/run.sh: run anoncheck and SPIN (bench/spin/model.pml) on the
# same scope, check that they find the same number of distinct states, and
# print the time each took.
#
#   bash bench/spin/run.sh                       the three default checks
#   bash bench/spin/run.sh --pages 1 --procs 2 --prots r,rw --symmetry off
#   bash bench/spin/run.sh --pages 1 --procs 2 --dump /tmp/d   also compare the states themselves
#   bash bench/spin/run.sh --self-test           a changed model.pml must be caught
#
# The model is v5.4 with the operations write, mprotect, munmap, fork and
# exit after a setup that builds P1's layouts with mmap, write, mprotect and
# munmap (anoncheck --ops write,mprotect,munmap,fork,exit), explored to the
# fixpoint (--bound 0). SPIN stores every initial layout twice (see
# model.pml), so the counts agree when
#   SPIN states stored = anoncheck states + anoncheck initial layouts.
# Exit status: 0 every check agrees, 1 a check disagrees, 2 bad usage or a
# tool failed.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
ops=write,mprotect,munmap,fork,exit
spec=v5.4

# Compiler and verifier flags (printed with each result).
GCC_FLAGS="-O2 -w -DNOREDUCE -DSAFETY -DNOCLAIM -DVECTORSZ=1024 -DMEMLIM=4096"
PAN_FLAGS="-m2000000 -w22 -n"

die() { echo "run.sh: $*" >&2; exit 2; }

usage() {
	sed -n '2,/^set -euo/{/^#/s/^# \{0,1\}//p}' "${BASH_SOURCE[0]}"
	exit "$1"
}

pages=""; procs=""; prots="r,rw"; symmetry="off"; dump=""; selftest=0
while [ $# -gt 0 ]; do
	case "$1" in
	--pages) pages=${2:?--pages needs a value}; shift 2 ;;
	--procs) procs=${2:?--procs needs a value}; shift 2 ;;
	--prots) prots=${2:?--prots needs a value}; shift 2 ;;
	--symmetry) symmetry=${2:?--symmetry needs off or objects}; shift 2 ;;
	--dump) dump=${2:?--dump needs a directory}; shift 2 ;;
	--self-test) selftest=1; shift ;;
	-h | --help) usage 0 ;;
	*) die "unknown argument $1 (see --help)" ;;
	esac
done
case "$symmetry" in off | objects) ;; *) die "--symmetry $symmetry: use off or objects" ;; esac

# prot_mask turns "r,rw" into model.pml's PROTS: bit p set for each prot p.
prot_mask() {
	local mask=0 p bits c
	IFS=, read -ra list <<<"$1"
	for p in "${list[@]}"; do
		bits=0
		if [ "$p" != none ]; then
			for ((i = 0; i < ${#p}; i++)); do
				c=${p:i:1}
				case "$c" in r) bits=$((bits | 1)) ;; w) bits=$((bits | 2)) ;; x) bits=$((bits | 4)) ;;
				*) die "--prots $1: bad protection $p" ;; esac
			done
		fi
		mask=$((mask | (1 << bits)))
	done
	echo "$mask"
}

prot_mask "$prots" >/dev/null # fails here, not in a subshell, on a bad --prots

# Tools: SPIN from Debian when missing, gcc and go.
if ! command -v spin >/dev/null; then
	echo "run.sh: installing spin" >&2
	apt-get install -y spin >/dev/null 2>&1 || { apt-get update >/dev/null && apt-get install -y spin >/dev/null; } ||
		die "cannot install the Debian package spin"
fi
command -v gcc >/dev/null || die "gcc is needed to compile SPIN's verifier"
command -v go >/dev/null || die "go is needed to build anoncheck"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# anoncheck counts; the helper (go run ./bench/spin) writes states for --dump.
(cd "$root" && go build -o "$work/anoncheck" . && go build -o "$work/gohelper" ./bench/spin) ||
	die "go build failed"
"$work/anoncheck" --help 2>&1 | grep -q -- '--symmetry' ||
	die "this anoncheck has no --symmetry: the cross-check needs --symmetry, --ops and --force"

now() { echo "$EPOCHREALTIME"; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }

# anoncheck_count PAGES PROCS PROTS SYMMETRY: sets go_states, go_initial,
# go_secs, go_cmd. One worker, as SPIN has one; --force skips the size
# estimate's pilot run.
anoncheck_count() {
	local out t0 t1 rc=0 re='.*explored \([0-9]*\) states (\([0-9]*\) initial layouts).*'
	go_cmd="anoncheck --spec $spec --bound 0 --pages $1 --procs $2 --prots $3 --symmetry $4 --ops $ops --workers 1 --force"
	t0=$(now)
	out=$("$work/anoncheck" --spec "$spec" --bound 0 --pages "$1" --procs "$2" --prots "$3" --symmetry "$4" \
		--ops "$ops" --workers 1 --force --traces=false --progress never 2>&1) || rc=$?
	t1=$(now)
	[ "$rc" -le 1 ] || { echo "$out" >&2; die "anoncheck exited $rc"; }
	! grep -q "incomplete" <<<"$out" || { echo "$out" >&2; die "anoncheck did not reach the fixpoint"; }
	go_states=$(sed -n "s/$re/\1/p" <<<"$out" | head -1)
	go_initial=$(sed -n "s/$re/\2/p" <<<"$out" | head -1)
	[ -n "$go_states" ] && [ -n "$go_initial" ] || { echo "$out" >&2; die "cannot read anoncheck's state count"; }
	go_secs=$(elapsed "$t0" "$t1")
}

# spin_count MODEL PAGES PROCS PROTS SYMMETRY [extra -D flags]: sets
# spin_states, spin_secs, spin_compile, spin_cmd; leaves pan's output in $work/pan.out.
spin_count() {
	local model=$1 t0 t1 t2 dir="$work/spin" mask
	mask=$(prot_mask "$4")
	local defs="-DPAGES=$2 -DPROCS=$3 -DPROTS=$mask"
	[ "$5" = objects ] && defs="$defs -DOBJECTS"
	[ -z "${6:-}" ] || defs="$defs $6"
	rm -rf "$dir" && mkdir -p "$dir" && cp "$model" "$dir/model.pml"
	t0=$(now)
	# shellcheck disable=SC2086
	(cd "$dir" && spin -o2 -a $defs model.pml >"$work/spin.out" 2>&1) || { cat "$work/spin.out" >&2; die "spin -a failed"; }
	local pgcc=$GCC_FLAGS
	[[ "$defs" == *-DDUMP* ]] && pgcc="$pgcc -DPRINTF"
	# shellcheck disable=SC2086
	(cd "$dir" && gcc $pgcc -o pan pan.c) || die "gcc failed on pan.c"
	t1=$(now)
	# shellcheck disable=SC2086
	(cd "$dir" && ./pan $PAN_FLAGS >"$work/pan.out" 2>&1) || true
	t2=$(now)
	spin_cmd="spin -o2 -a $defs; gcc $pgcc; pan $PAN_FLAGS"
	grep -q "errors: 0" "$work/pan.out" || { grep -v '^live=' "$work/pan.out" | head -20 >&2; die "pan reported errors"; }
	if grep -q "max search depth too small" "$work/pan.out"; then die "pan: raise -m in PAN_FLAGS"; fi
	spin_states=$(sed -n 's/^ *\([0-9]*\) states, stored.*/\1/p' "$work/pan.out")
	[ -n "$spin_states" ] || die "cannot read SPIN's state count"
	spin_compile=$(elapsed "$t0" "$t1")
	spin_secs=$(elapsed "$t1" "$t2")
}

failed=0

# check PAGES PROCS PROTS SYMMETRY: one comparison, printed.
check() {
	echo "scope: variant $spec, pages=$1 procs=$2 prots=$3, ops $ops after setup, bound 0 (fixpoint), symmetry $4"
	anoncheck_count "$@"
	spin_count "$here/model.pml" "$@"
	echo "  anoncheck: $go_states states ($go_initial initial layouts) in $go_secs s   [$go_cmd]"
	echo "  spin:      $spin_states states stored in $spin_secs s (+ $spin_compile s to generate and compile pan)   [$spin_cmd]"
	local want=$((go_states + go_initial))
	if [ "$spin_states" = "$want" ]; then
		echo "  agree:     yes, $spin_states = $go_states + $go_initial (each initial layout stored before and after the end of setup)"
	else
		echo "  agree:     NO: SPIN stored $spin_states, expected $go_states + $go_initial = $want"
		failed=1
	fi
	echo "  ratio:     SPIN / anoncheck time = $(awk -v s="$spin_secs" -v g="$go_secs" 'BEGIN { printf (g > 0 ? "%.2f" : "n/a"), s / g }')"
}

# compare_dumps PAGES PROCS PROTS SYMMETRY DIR: the states themselves, as lines.
compare_dumps() {
	mkdir -p "$5"
	local nv=$(($1 * $2))
	"$work/gohelper" --spec "$spec" --pages "$1" --procs "$2" --prots "$3" --ops "$ops" --symmetry "$4" \
		--vmas "$nv" --avs 16 --page-slots "$nv" --chain 8 --dump "$5/go.states" >/dev/null ||
		die "the Go helper failed"
	spin_count "$here/model.pml" "$1" "$2" "$3" "$4" -DDUMP
	grep '^live=' "$work/pan.out" | sort -u >"$5/spin.states"
	local only_go only_spin
	only_go=$(comm -23 "$5/go.states" "$5/spin.states" | wc -l)
	only_spin=$(comm -13 "$5/go.states" "$5/spin.states" | wc -l)
	echo "  states:    $(wc -l <"$5/go.states") from anoncheck, $(wc -l <"$5/spin.states") from SPIN; $only_go only in anoncheck's, $only_spin only in SPIN's ($5/go.states, $5/spin.states)"
	[ "$only_go" = 0 ] && [ "$only_spin" = 0 ] || failed=1
}

if [ "$selftest" = 1 ]; then
	# A one-token change to anon_vma_clone()'s reuse test must change the count.
	mutant="$work/mutant.pml"
	sed 's/av\[cl_av\]\.degree < 2/av[cl_av].degree < 3/' "$here/model.pml" >"$mutant"
	cmp -s "$mutant" "$here/model.pml" && die "self-test: the mutation no longer applies to model.pml"
	anoncheck_count 2 2 rw off
	spin_count "$mutant" 2 2 rw off
	if [ "$spin_states" = $((go_states + go_initial)) ]; then
		echo "self-test: FAILED: a model with anon_vma_clone() reusing at degree < 3 still agrees ($spin_states states stored)"
		exit 1
	fi
	echo "self-test: ok: the changed model stores $spin_states states, anoncheck $go_states + $go_initial initial layouts"
	exit 0
fi

echo "spin: $(spin -V | head -1)"
if [ -n "$pages$procs" ]; then
	check "${pages:-2}" "${procs:-2}" "$prots" "$symmetry"
	[ -z "$dump" ] || compare_dumps "${pages:-2}" "${procs:-2}" "$prots" "$symmetry" "$dump"
else
	[ -z "$dump" ] || die "--dump needs an explicit small scope (--pages, --procs): SPIN prints a line per transition"
	# Symmetry off: the slots as both models allocate them. pages=2 procs=2
	# with prots r,rw has more than 11 million such states, so off is checked
	# on two smaller scopes: fork, exit and copy-on-write with two processes,
	# and mprotect's splits and merges with one.
	check 2 2 rw off
	check 3 1 r,rw off
	# The benchmark scope, with objects renamed as anoncheck does by default
	# for objects (model.pml's canonicalise is state.Canonical).
	check 2 2 r,rw objects
fi
if [ "$failed" != 0 ]; then
	echo "run.sh: the two models disagree; rerun a small scope with --dump DIR to see the states that differ"
	exit 1
fi
