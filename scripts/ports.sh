# Loopback port helpers sourced by scripts/search/postgres.sh and scripts/jobs/redis.sh.
# port_in_use P: something accepts connections on 127.0.0.1:P.
# free_port FROM: the first port from FROM up that nothing listens on.
port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
free_port() {
  local p="$1"
  while port_in_use "$p"; do p=$((p + 1)); done
  echo "$p"
}
