# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# bash completion for edgefw and edgefwd. Installed as
# /usr/share/bash-completion/completions/edgefw (and a link named edgefwd).
# tests/unit/test_completion.sh checks that every command `edgefw help`
# lists, and every option of each command's help, is offered here.

_edgefw_instances()
{
	local d
	for d in /sys/fs/bpf/edgefw/*/; do
		[[ -d $d ]] && d=${d%/} && printf '%s\n' "${d##*/}"
	done 2>/dev/null
}

_edgefw_ifnames()
{
	local n
	for n in /sys/class/net/*; do
		[[ -e $n ]] && printf '%s\n' "${n##*/}"
	done
}

_edgefw()
{
	local cur prev words cword
	_init_completion 2>/dev/null || {
		cur=${COMP_WORDS[COMP_CWORD]}
		prev=${COMP_WORDS[COMP_CWORD - 1]}
		words=("${COMP_WORDS[@]}")
		cword=$COMP_CWORD
	}
	local commands="check explain compile attach detach reload confirm status show diff stats conntrack set publish fleet help"
	local cmd="" i
	for ((i = 1; i < cword; i++)); do
		case ${words[i]} in
		--instance) ((i++)) ;;
		-*) ;;
		*) cmd=${words[i]}; break ;;
		esac
	done

	case $prev in
	--instance)
		mapfile -t COMPREPLY < <(compgen -W "$(_edgefw_instances)" -- "$cur")
		return ;;
	--rules | --socket | --file | --cacert | --cert | --key)
		mapfile -t COMPREPLY < <(compgen -f -- "$cur")
		return ;;
	--hook)
		mapfile -t COMPREPLY < <(compgen -W "xdp tc-ingress tc-egress" -- "$cur")
		return ;;
	--mode)
		mapfile -t COMPREPLY < <(compgen -W "native generic auto" -- "$cur")
		return ;;
	--proto)
		mapfile -t COMPREPLY < <(compgen -W "tcp udp icmp icmpv6" -- "$cur")
		return ;;
	--iface)
		mapfile -t COMPREPLY < <(compgen -W "$(_edgefw_ifnames)" -- "$cur")
		return ;;
	--confirm)
		mapfile -t COMPREPLY < <(compgen -W "30s 60s 2m 5m" -- "$cur")
		return ;;
	--capacity) # RESOURCE=N[,RESOURCE=N]...: the first resource's name
		mapfile -t COMPREPLY < <(compgen -S = -W "cells classes tree-nodes tree-leaf-entries hashed-pairs ipv6-hosts" -- "$cur")
		compopt -o nospace 2>/dev/null
		return ;;
	--watch | --count | --src | --dst | --sport | --dport | --vlan | \
	--state | --conntrack-size | --addr | --port | --timeout | \
	--icmp-type | --icmp-code | --tcp-flags | --fragment | --etcd | --group | --prefix)
		return ;;
	esac

	local opts=""
	case $cmd in
	"")
		opts="--instance --help --version $commands" ;;
	check) opts="--json --help" ;;
	compile) opts="--json --help" ;;
	explain)
		opts="--src --dst --proto --sport --dport --icmp-type --icmp-code
		      --tcp-flags --vlan --fragment --state --hook --iface --in --over-limit
		      --live --verbose --json --help" ;;
	attach) opts="--rules --hook --mode --conntrack-size --capacity --force --json --help" ;;
	detach) opts="--hook --force --json --help" ;;
	reload) opts="--socket --confirm --dry-run --json --help" ;;
	confirm) opts="--socket --json --help" ;;
	status) opts="--json --help" ;;
	show) opts="--json --full --help" ;;
	diff) opts="--json --max-changes --help" ;;
	stats) opts="--json --watch --count --help" ;;
	conntrack) opts="list count flush --addr --port --proto --json --help" ;;
	set) opts="add del flush list --timeout --file --force --json --help" ;;
	publish) opts="--etcd --group --prefix --cacert --cert --key --json --help" ;;
	fleet) opts="status --etcd --group --prefix --cacert --cert --key --json --help" ;;
	help)
		mapfile -t COMPREPLY < <(compgen -W "$commands" -- "$cur")
		return ;;
	esac
	if [[ -z $cmd || $cur == -* ]]; then
		mapfile -t COMPREPLY < <(compgen -W "$opts" -- "$cur")
		return
	fi
	case $cmd in
	attach | detach)
		mapfile -t COMPREPLY < <(compgen -W "$(_edgefw_ifnames)" -- "$cur") ;;
	fleet)
		mapfile -t COMPREPLY < <(compgen -W "status" -- "$cur") ;;
	check | compile | explain | reload | diff | publish)
		mapfile -t COMPREPLY < <(compgen -f -X '!*.@(yaml|yml)' -- "$cur")
		[[ $cmd == diff ]] && COMPREPLY+=($(compgen -W "@active -" -- "$cur"))
		compopt -o plusdirs 2>/dev/null ;;
	esac
}
complete -F _edgefw edgefw

_edgefwd()
{
	local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD - 1]}
	case $prev in
	--config | --pid-file)
		mapfile -t COMPREPLY < <(compgen -f -- "$cur")
		return ;;
	esac
	mapfile -t COMPREPLY < <(compgen -W "--config --foreground --pid-file --help --version" -- "$cur")
}
complete -F _edgefwd edgefwd
