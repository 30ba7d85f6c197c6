"""Assessment: question banks, quizzes and exams, attempts, grading and item analysis."""
