"""Security records of the ledger: graded protection (等保), commercial cryptography (密评), risk
assessments, emergency plans, drills and incidents (襄政办发〔2022〕2号 第二十四、三十六、三十七条).

Subpackages: ``security.grading`` (等保, 密评, risk assessments and their computed due dates) and
``security.response`` (emergency plans, drills, incidents, supply chain, evidence files).
"""
