"""Host verification: Ansible playbooks look at hosts, results become 等保 evidence and findings."""
