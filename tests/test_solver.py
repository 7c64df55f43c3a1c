"""z3 verdicts on the inequalities behind eta_C (symstab.proofs.solver)."""

from symstab import LinearNetwork
from symstab.proofs.solver import z3_critical_proof


def test_z3_proves_tiny_cases_and_refutes_a_wrong_bound():
    net = LinearNetwork.whitened((1, 1, 1, 1), [[2]])
    cs = net.critical_step_sizes()
    assert cs.proof.unsat and "unsat" == cs.proof.result and cs.proof.to_dict()["evidence"] == "solver verdict, no certificate"
    wrong = z3_critical_proof(net, net.minima(), cs.lambda_star + 1)  # lambda* + 1 is not a lower bound
    assert wrong.result == "sat" and not wrong.unsat
