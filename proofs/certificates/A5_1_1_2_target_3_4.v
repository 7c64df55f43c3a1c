(* symstab certificate, result A5: A5 for widths (1,1,2): lambda_max(H(theta)) >= 10 for every theta in M; a point of M (in Q(alpha), alpha the root of 5 x^2 - 144 in (5, 6]) has lambda_max <= 10; so min_M lambda_max = 10 and eta_C = 1/5 exactly *)
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
Variables W1_0_0 W2_0_0 W2_1_0 : R.

Definition g1 := ((-3) + (1) * W1_0_0 * W2_0_0).
Definition g2 := ((-4) + (1) * W1_0_0 * W2_1_0).
Definition f := ((-32/5) * W2_1_0^2 + (16/25) * W2_1_0^4 + (-48/5) * W2_0_0 * W2_1_0 + (24/25) * W2_0_0 * W2_1_0^3 + (-18/5) * W2_0_0^2 + (1) * W2_0_0^2 * W2_1_0^2 + (24/25) * W2_0_0^3 * W2_1_0 + (9/25) * W2_0_0^4 + (-8) * W1_0_0 * W2_1_0 + (-6) * W1_0_0 * W2_0_0 + (-10) * W1_0_0^2 + (64/25) * W1_0_0^2 * W2_1_0^2 + (96/25) * W1_0_0^2 * W2_0_0 * W2_1_0 + (36/25) * W1_0_0^2 * W2_0_0^2 + (1) * W1_0_0^4).
Definition f_sm := (0).
Definition f_m := (1) + f_sm.
Definition f_s := ((1) * ((-48/125) * W2_1_0^2 + (28/125) * W2_0_0 * W2_1_0 + (48/125) * W2_0_0^2)^2 + (1) * ((36/125) * W2_1_0^2 + (-21/125) * W2_0_0 * W2_1_0 + (-36/125) * W2_0_0^2)^2 + (1) * ((-16/25) * W2_1_0^2 + (-24/25) * W2_0_0 * W2_1_0 + (-9/25) * W2_0_0^2 + (4/5) * W1_0_0 * W2_1_0 + (3/5) * W1_0_0 * W2_0_0)^2 + (1) * ((-12/25) * W1_0_0 * W2_1_0 + (-9/25) * W1_0_0 * W2_0_0 + (3/5) * W1_0_0^2)^2 + (1) * ((-16/25) * W1_0_0 * W2_1_0 + (-12/25) * W1_0_0 * W2_0_0 + (4/5) * W1_0_0^2)^2 + 0).
Lemma f_identity : f_m * f = (0) + f_s + (((96/125) * W2_1_0^2 + (144/125) * W2_0_0 * W2_1_0 + (54/125) * W2_0_0^2 + (24/25) * W1_0_0 * W2_1_0 + (18/25) * W1_0_0 * W2_0_0 + (6/5) * W1_0_0^2) * g1 + ((128/125) * W2_1_0^2 + (192/125) * W2_0_0 * W2_1_0 + (72/125) * W2_0_0^2 + (32/25) * W1_0_0 * W2_1_0 + (24/25) * W1_0_0 * W2_0_0 + (8/5) * W1_0_0^2) * g2).
Proof. unfold f_m, f_sm, f, f_s, g1, g2. field. Qed.
Lemma f_s_nonneg : 0 <= f_s.
Proof. unfold f_s. repeat (apply Rplus_le_le_0_compat || (apply term_nonneg; lra) || lra). Qed.
Lemma f_sm_nonneg : 0 <= f_sm.
Proof. unfold f_sm. repeat (apply Rplus_le_le_0_compat || (apply term_nonneg; lra) || lra). Qed.
Theorem f_nonneg : g1 = 0 -> g2 = 0 -> 0 <= f.
Proof. intros H1 H2. apply (pos_rule f_m f ((0) + f_s)).
  - unfold f_m. pose proof f_sm_nonneg. lra.
  - pose proof f_s_nonneg. lra.
  - rewrite f_identity. rewrite H1; rewrite H2; ring.
Qed.
Definition n := ((16/25) * W2_1_0^2 + (24/25) * W2_0_0 * W2_1_0 + (9/25) * W2_0_0^2 + (1) * W1_0_0^2).
Definition n_sm := (0).
Definition n_m := (1) + n_sm.
Definition n_s := ((1) * ((-4/5) * W2_1_0 + (-3/5) * W2_0_0 + (1) * W1_0_0)^2 + 0).
Lemma n_identity : n_m * n = (10) + n_s + (((6/5)) * g1 + ((8/5)) * g2).
Proof. unfold n_m, n_sm, n, n_s, g1, g2. field. Qed.
Lemma n_s_nonneg : 0 <= n_s.
Proof. unfold n_s. repeat (apply Rplus_le_le_0_compat || (apply term_nonneg; lra) || lra). Qed.
Lemma n_sm_nonneg : 0 <= n_sm.
Proof. unfold n_sm. repeat (apply Rplus_le_le_0_compat || (apply term_nonneg; lra) || lra). Qed.
Theorem n_positive : g1 = 0 -> g2 = 0 -> 0 < n.
Proof. intros H1 H2. apply (pos_rule_strict n_m n (10) n_s).
  - unfold n_m. pose proof n_sm_nonneg. lra.
  - lra.
  - exact n_s_nonneg.
  - rewrite n_identity. rewrite H1; rewrite H2; ring.
Qed.
End A5.
