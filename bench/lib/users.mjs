// The partner users every Partner-bound workload reads: the same list in the
// fake Partner API process and in the measured clients.

export const USER_CREATED_AT = 1_700_000_000_000;

export function benchUser(i) {
  return {
    id: `usr_bench_${i}`,
    email: `user${i}@bench.example`,
    name: `Bench User ${i}`,
    createdAt: USER_CREATED_AT + i,
  };
}

export function benchUsers(count) {
  return Array.from({ length: count }, (_, i) => benchUser(i));
}
