"""等保 (MLPS 2.0) grading, filing, assessments, self-checks and rectification; 密评 plans and
assessments; risk assessments — and the due dates the ledger computes from the policy file.

Public entry points for other packages: ``security.grading.service`` (``mlps_status``,
``crypto_status``, ``risk_status``, ``security_status`` and their bulk variants).
"""
