(* symstab certificate, result A1: A1 for widths (1,1,2): G_eta is non-singular for every eta > 0 *)
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
(* det(I - eta H_1), H_1 the Hessian at point 1: ['3', '0', '3'] *)
Definition det1 (eta : R) : R := 0 + (1 - eta * (9)) * (1 - eta * (9)) * (1 - eta * (9)) - (1 - eta * (9)) * (0 - eta * (0)) * (0 - eta * (0)) - (0 - eta * (-3)) * (0 - eta * (-3)) * (1 - eta * (9)) + (0 - eta * (-3)) * (0 - eta * (0)) * (0 - eta * (14)) + (0 - eta * (14)) * (0 - eta * (-3)) * (0 - eta * (0)) - (0 - eta * (14)) * (1 - eta * (9)) * (0 - eta * (14)).
Definition u1 (eta : R) : R := ((-2828125/548114) * eta^1 + (-1370875/548114) * eta^0).
(* det(I - eta H_2), H_2 the Hessian at point 2: ['0', '-3', '-1'] *)
Definition det2 (eta : R) : R := 0 + (1 - eta * (10)) * (1 - eta * (0)) * (1 - eta * (0)) - (1 - eta * (10)) * (0 - eta * (0)) * (0 - eta * (0)) - (0 - eta * (-3)) * (0 - eta * (-3)) * (1 - eta * (0)) + (0 - eta * (-3)) * (0 - eta * (0)) * (0 - eta * (-4)) + (0 - eta * (-4)) * (0 - eta * (-3)) * (0 - eta * (0)) - (0 - eta * (-4)) * (1 - eta * (0)) * (0 - eta * (-4)).
Definition u2 (eta : R) : R := ((-63123750/274057) * eta^2 + (-1071115/39151) * eta^1 + (1918989/548114) * eta^0).
Lemma bezout : forall eta, u1 eta * det1 eta + u2 eta * det2 eta = 1.
Proof. intro eta. unfold det1, det2, u1, u2. field. Qed.

Theorem a1_nonsingular : forall eta, det1 eta <> 0 \/ det2 eta <> 0.
Proof.
  intro eta. pose proof (bezout eta) as Hb.
  destruct (Req_dec (det1 eta) 0) as [Z1|Z1]; [| left; exact Z1].
  destruct (Req_dec (det2 eta) 0) as [Z2|Z2]; [| right; exact Z2].
  exfalso. rewrite Z1, Z2 in Hb. rewrite ?Rmult_0_r, ?Rplus_0_r, ?Rplus_0_l in Hb. lra.
Qed.
