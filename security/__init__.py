"""Security records: graded protection, cryptography, risk, emergency response, supply chain, evidence."""
