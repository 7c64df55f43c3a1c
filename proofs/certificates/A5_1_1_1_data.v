(* symstab certificate, result A5: A5 for widths (1,1,1): lambda_max(H(theta)) >= 20 for every theta in M; a point of M (in Q(alpha), alpha the root of x^2 - 2 in (1, 2]) has lambda_max <= 20; so min_M lambda_max = 20 and eta_C = 1/10 exactly *)
(* Replayed here: the identities and inequalities below. Taken as definitions, computed from
   the network by the independent checker symstab.check: the Hessian entries (A1) and the
   polynomial f = v^T H v - l* ||v||^2 (A5). *)
Require Import Reals Lra Psatz.
Open Scope R_scope.

Lemma term_nonneg : forall w x, 0 <= w -> 0 <= w * x^2.
Proof. intros w x Hw. apply Rmult_le_pos; [exact Hw | apply pow2_ge_0]. Qed.
Lemma pos_rule : forall m f s, 0 < m -> 0 <= s -> m * f = s -> 0 <= f.
Proof. intros m f s Hm Hs Hf. nra. Qed.
Lemma pos_rule_strict : forall m f c s, 0 <= m -> 0 < c -> 0 <= s -> m * f = c + s -> 0 < f.
Proof. intros. nra. Qed.
Section A5.
Variables W1_0_0 W2_0_0 : R.

Definition g1 := ((-2) + (1) * W1_0_0 * W2_0_0).
Definition f := ((-20) * W2_0_0^2 + (5) * W2_0_0^4 + (-20) * W1_0_0 * W2_0_0 + (-20) * W1_0_0^2 + (20) * W1_0_0^2 * W2_0_0^2 + (5) * W1_0_0^4).
Definition f_sm := (0).
Definition f_m := (1) + f_sm.
Definition f_s := ((5) * ((-1) * W2_0_0^2 + (1) * W1_0_0 * W2_0_0)^2 + (5) * ((-1) * W1_0_0 * W2_0_0 + (1) * W1_0_0^2)^2 + 0).
Lemma f_identity : f_m * f = (0) + f_s + (((10) * W2_0_0^2 + (10) * W1_0_0 * W2_0_0 + (10) * W1_0_0^2) * g1).
Proof. unfold f_m, f_sm, f, f_s, g1. field. Qed.
Lemma f_s_nonneg : 0 <= f_s.
Proof. unfold f_s. repeat (apply Rplus_le_le_0_compat || (apply term_nonneg; lra) || lra). Qed.
Lemma f_sm_nonneg : 0 <= f_sm.
Proof. unfold f_sm. repeat (apply Rplus_le_le_0_compat || (apply term_nonneg; lra) || lra). Qed.
Theorem f_nonneg : g1 = 0 -> 0 <= f.
Proof. intros H1. apply (pos_rule f_m f ((0) + f_s)).
  - unfold f_m. pose proof f_sm_nonneg. lra.
  - pose proof f_s_nonneg. lra.
  - rewrite f_identity. rewrite H1; ring.
Qed.
Definition n := ((1) * W2_0_0^2 + (1) * W1_0_0^2).
Definition n_sm := (0).
Definition n_m := (1) + n_sm.
Definition n_s := ((1) * ((-1) * W2_0_0 + (1) * W1_0_0)^2 + 0).
Lemma n_identity : n_m * n = (4) + n_s + (((2)) * g1).
Proof. unfold n_m, n_sm, n, n_s, g1. field. Qed.
Lemma n_s_nonneg : 0 <= n_s.
Proof. unfold n_s. repeat (apply Rplus_le_le_0_compat || (apply term_nonneg; lra) || lra). Qed.
Lemma n_sm_nonneg : 0 <= n_sm.
Proof. unfold n_sm. repeat (apply Rplus_le_le_0_compat || (apply term_nonneg; lra) || lra). Qed.
Theorem n_positive : g1 = 0 -> 0 < n.
Proof. intros H1. apply (pos_rule_strict n_m n (4) n_s).
  - unfold n_m. pose proof n_sm_nonneg. lra.
  - lra.
  - exact n_s_nonneg.
  - rewrite n_identity. rewrite H1; ring.
Qed.
End A5.
